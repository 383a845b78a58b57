import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Every request has an id that its log lines carry and its answer returns in `x-request-id`, so
 * an operator can find what happened to the request a user reports. A caller's own id (a proxy's,
 * say) is kept when it is sane; one that could forge or flood log lines is replaced.
 */

export const requestIdHeader = 'x-request-id';
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify asks at routing, connectionErrors.ts again when it answers a request Fastify never saw through. */
const assigned = new WeakMap<IncomingMessage, string>();

/**
 * Fastify's `genReqId`: it would take the header unchecked if given its name as `requestIdHeader`.
 * Without a request (one Node could not parse) the id is new.
 */
export function requestIdOf(raw: IncomingMessage | undefined): string {
  if (!raw) return randomUUID();
  let id = assigned.get(raw);
  if (id === undefined) {
    const given = raw.headers[requestIdHeader];
    id = typeof given === 'string' && saneRequestId.test(given) ? given : randomUUID();
    assigned.set(raw, id);
  }
  return id;
}

/** A key put in the query string by mistake must not end up in the log with the URL. */
function isApiKeyName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    // not percent-encoded UTF-8: compared as it came
  }
  return decoded.toLowerCase().replace(/[-_]/g, '') === 'apikey';
}

export function redactedUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const query = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const nameEnd = pair.indexOf('=');
      return nameEnd >= 0 && isApiKeyName(pair.slice(0, nameEnd)) ? `${pair.slice(0, nameEnd)}=[REDACTED]` : pair;
    });
  return `${url.slice(0, queryAt)}?${query.join('&')}`;
}

/**
 * Fastify's request serializer with the URL redacted. Like Fastify's, it logs no headers, so the
 * apiKey and Authorization headers never reach the log.
 */
export const logSerializers = {
  req: (request: FastifyRequest) => ({
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};

export function registerRequestIds(app: FastifyInstance): void {
  // onSend runs for every answer Fastify sends, refusals and the not-found handler's included.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(requestIdHeader, request.id);
    done(null, payload);
  });
}
