import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isWellFormedApiKey } from '../domain/apiKeys.js';
import { unauthenticated, unauthorized } from '../domain/errors.js';
import type { User } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { loadViewer } from '../content/access.js';
import { findUserByApiKeyHash } from '../store/queries/users.js';
import { DatabaseCounter, MemoryCounter, RateLimiter } from './rateLimit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, found by API key; null on a public route called without one. */
    user: User | null;
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

async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<User> {
  const key = presentedKey(request);
  if (!key) throw unauthenticated();
  if (!isWellFormedApiKey(key)) throw unauthenticated('Malformed API key: it must be 16–64 characters of A-Z, a-z, 0-9 and _');
  const { db, apiKeys } = app.store;
  const hash = apiKeys.hash(key);
  const found = await findUserByApiKeyHash(db, hash);
  if (!found || !apiKeys.matches(hash, found.apiKeyHash)) throw unauthenticated('Unknown API key');
  if (!found.user.enabled) throw unauthorized(`The account ${found.user.username} is disabled`);
  return found.user;
}

/**
 * Identifies the caller by API key (the apiKey header, or a Bearer token) on every route but the
 * public ones (and on those that check a presented key, when one is), and counts the request
 * against the caller's rate limit: a known user's own, or the address's when no valid key was
 * given, so guessing keys is limited too.
 */
export const authentication = fp(async (app: FastifyInstance) => {
  const { max, windowMs } = app.config.rateLimit;
  // On PostgreSQL any number of API processes serve one site, and a caller's limit must hold across
  // them all; SQLite's one process keeps its counts in memory, with no query per request.
  const counter = app.store.dialect === 'postgres' ? new DatabaseCounter(app.store.db, windowMs, app.log) : new MemoryCounter(windowMs);
  const limiter = new RateLimiter(counter, max, windowMs);
  app.addHook('onClose', () => limiter.close());
  app.decorateRequest('user', null);
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
