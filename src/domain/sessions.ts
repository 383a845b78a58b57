import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A sign-in session of the exports page (issue 12): a random token in an HttpOnly cookie, which
 * the server keeps only as its SHA-256, and a CSRF token the page sends back in a header with
 * every state-changing request. A cookie goes with any request the browser makes to this
 * server, a header only with those the page's own script makes, so the header is what proves a
 * request came from the page.
 */

export const sessionCookie = 'elnport_session';
export const csrfHeader = 'x-csrf-token';

/** 256 bits each, in the URL-safe base64 a cookie and a header carry as they are. */
export function newSessionTokens(): { token: string; csrfToken: string } {
  return { token: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url') };
}

/** What is stored of a token: a plain hash is enough, as a token is 256 random bits, not a guessable secret. */
export function sessionTokenHash(token: string): string {
  return hash('sha256', token, 'hex');
}

/** A well-formed token: anything else is refused before a query is made with it. */
export function isWellFormedSessionToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/** Compares a presented CSRF token with the session's, in constant time. */
export function sameCsrfToken(given: string | undefined, held: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(held, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The methods that change nothing, which a session may make without its CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
