import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isWellFormedApiKey } from '../domain/apiKeys.js';
import { csrfRefused, unauthenticated, unauthorized } from '../domain/errors.js';
import type { User } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { csrfHeader, isSafeMethod, isWellFormedSessionToken, sameCsrfToken, sessionCookie, sessionTokenHash } from '../domain/sessions.js';
import { isoNow } from '../domain/time.js';
import { loadViewer } from '../content/access.js';
import { findSession } from '../store/queries/sessions.js';
import { findUserByApiKeyHash } from '../store/queries/users.js';
import { RateLimiter, requestCounter } from './rateLimit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, found by API key or session cookie; null on a public route called without one. */
    user: User | null;
    /** The sign-in session the caller came with, when it was its cookie (not a key) that named them. */
    session: { tokenHash: string; csrfToken: string; expires: string } | null;
    /** The caller's groups are loaded once, by the first route code that asks (viewerOf). */
    viewer: Promise<Viewer> | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without an API key (the health check, the API document). */
    public?: boolean;
    /**
     * On a public route, a key that is presented must still be valid: RSpace's clients call the
     * health check to find out whether their key works.
     */
    checkPresentedKey?: boolean;
  }
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.apikey;
  if (typeof header === 'string' && header) return header.trim();
  const authorization = request.headers.authorization;
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

/** The user an API key names; a key is checked before anything is looked up by it. */
export async function userByApiKey(app: FastifyInstance, key: string): Promise<User> {
  if (!isWellFormedApiKey(key)) throw unauthenticated('Malformed API key: it must be 16–64 characters of A-Z, a-z, 0-9 and _');
  const { db, apiKeys } = app.store;
  const hash = apiKeys.hash(key);
  const found = await findUserByApiKeyHash(db, hash);
  if (!found || !apiKeys.matches(hash, found.apiKeyHash)) throw unauthenticated('Unknown API key');
  return enabledUser(found.user);
}

/** The user, unless their account is disabled: a key, a session and a password alike stop working then. */
export function enabledUser(user: User): User {
  if (!user.enabled) throw unauthorized(`The account ${user.username} is disabled`);
  return user;
}

/** The session cookie's token, when the request carries one. */
export function presentedSessionToken(request: FastifyRequest): string | undefined {
  return request.cookies[sessionCookie] || undefined;
}

/**
 * The user a session cookie names. A request that could change something must also carry the
 * session's CSRF token in its header, which only the page's own script can send.
 */
async function userBySession(app: FastifyInstance, request: FastifyRequest, token: string): Promise<User> {
  const ended = () => unauthenticated('Your session has ended or is unknown: sign in again');
  if (!isWellFormedSessionToken(token)) throw ended();
  const tokenHash = sessionTokenHash(token);
  const found = await findSession(app.store.db, tokenHash, isoNow());
  if (!found) throw ended();
  if (!isSafeMethod(request.method) && !sameCsrfToken(headerValue(request, csrfHeader), found.csrfToken)) {
    throw csrfRefused(`A ${request.method} made with a session cookie needs the session's CSRF token in the X-CSRF-Token header`);
  }
  request.session = { tokenHash, csrfToken: found.csrfToken, expires: found.expires };
  return enabledUser(found.user);
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** A presented API key wins over a cookie: scripts send keys, and need no CSRF token. */
function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<User> {
  const key = presentedKey(request);
  if (key) return userByApiKey(app, key);
  const token = presentedSessionToken(request);
  if (token) return userBySession(app, request, token);
  throw unauthenticated();
}

/**
 * Identifies the caller by API key (the apiKey header, or a Bearer token) or by the exports
 * page's session cookie on every route but the public ones (and on those that check a presented
 * key, when one is), and counts the request against the caller's rate limit: a known user's own,
 * or the address's when no valid key was given, so guessing keys is limited too.
 */
export const authentication = fp(async (app: FastifyInstance) => {
  const { max, windowMs } = app.config.rateLimit;
  const limiter = new RateLimiter(requestCounter(app, windowMs), max, windowMs);
  app.addHook('onClose', () => limiter.close());
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);
  app.decorateRequest('viewer', null);
  app.addHook('onRequest', async (request, reply) => {
    let failure: unknown = null;
    const { public: isPublic, checkPresentedKey } = request.routeOptions.config;
    if (!isPublic || (checkPresentedKey && presentedKey(request) !== undefined)) {
      try {
        request.user = await authenticate(app, request);
      } catch (error) {
        failure = error;
      }
    }
    await limiter.hit(request.user ? `user:${request.user.id}` : `ip:${request.ip}`, reply);
    if (failure) throw failure;
  });
});

/** The caller; only called on routes that are not public, where authentication has run. */
export function userOf(request: FastifyRequest): User {
  if (!request.user) throw unauthenticated();
  return request.user;
}

/**
 * The caller with their groups, which decide what they may read. Most requests (a job's poll,
 * whoami) need only the user, so the groups are read here, when a route first asks, not by
 * authentication: it saved two of the four queries of GET /jobs/{id}.
 */
export function viewerOf(request: FastifyRequest): Promise<Viewer> {
  request.viewer ??= loadViewer(request.server.store.db, userOf(request));
  return request.viewer;
}
