import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidField, missingParameter, noSession, unauthenticated } from '../../domain/errors.js';
import type { User } from '../../domain/model.js';
import { sessionCookie } from '../../domain/sessions.js';
import { openSession, userByPassword } from '../../content/sessions.js';
import { deleteSession } from '../../store/queries/sessions.js';
import { enabledUser, presentedSessionToken, userByApiKey, userOf } from '../auth.js';
import { RateLimiter, requestCounter } from '../rateLimit.js';
import { errors, UserDetails } from '../schemas.js';
import { userDetailsJson } from '../views.js';

/**
 * Sign-in for the exports page (issue 12): a session cookie that stands for an API key in every
 * request the page makes, with the CSRF token the page sends back on each change (auth.ts).
 */

const SignIn = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  apiKey: Type.Optional(Type.String({ maxLength: 64 })),
});

const SessionJson = Type.Object({
  user: UserDetails,
  csrfToken: Type.String({ description: 'Send it in the X-CSRF-Token header of every POST, PUT, PATCH and DELETE made with the cookie' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

function sessionJson(user: User, csrfToken: string, expiresAt: string) {
  return { user: userDetailsJson(user), csrfToken, expiresAt };
}

/** Secure whenever the page is reached over HTTPS, directly or at the public URL a proxy serves. */
function overHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https' || (request.server.config.publicUrl?.startsWith('https:') ?? false);
}

function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(sessionCookie, { path: '/', httpOnly: true, sameSite: 'strict', secure: overHttps(request) });
}

export const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { max, windowMs } = app.config.signInLimit;
  const attempts = new RateLimiter(requestCounter(app, windowMs), max, windowMs, 'sign-in attempts');
  app.addHook('onClose', () => attempts.close());

  app.post(
    '/session',
    {
      config: { public: true },
      schema: {
        operationId: 'signIn',
        summary: 'Sign in with a username and password, or an API key; sets the session cookie',
        body: SignIn,
        response: { 200: SessionJson, ...errors(400, 401, 415, 429, 500) },
      },
    },
    async (request, reply) => {
      const { username, password, apiKey } = request.body;
      if (apiKey !== undefined && (username !== undefined || password !== undefined)) {
        throw invalidField('apiKey', '[hidden]', 'give either apiKey, or username and password, not both');
      }
      // Counted before any check, per address and per username: guessing from many addresses
      // is limited by the second, trying many usernames from one by the first.
      await attempts.hit(`sign-in-ip:${request.ip}`, reply);
      let user: User;
      if (apiKey !== undefined) {
        user = await userByApiKey(app, apiKey);
      } else {
        if (username === undefined) throw missingParameter('username');
        if (password === undefined) throw missingParameter('password');
        await attempts.hit(`sign-in-user:${username.toLowerCase()}`, reply);
        const found = await userByPassword(app.store.db, username, password);
        if (!found) throw unauthenticated('Wrong username or password');
        user = enabledUser(found);
      }
      const session = await openSession(app.store.db, user, app.config.sessionMs, presentedSessionToken(request));
      reply.setCookie(sessionCookie, session.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: overHttps(request),
        expires: new Date(session.expires),
      });
      return sessionJson(user, session.csrfToken, session.expires);
    },
  );

  app.get(
    '/session',
    { schema: { operationId: 'getSession', summary: 'The signed-in user and the session’s CSRF token', response: { 200: SessionJson, ...errors(401, 404, 429, 500) } } },
    async (request) => {
      const user = userOf(request);
      if (!request.session) throw noSession();
      return sessionJson(user, request.session.csrfToken, request.session.expires);
    },
  );

  app.delete(
    '/session',
    { schema: { operationId: 'signOut', summary: 'Sign out: ends the session and clears its cookie', response: { 204: Type.Null(), ...errors(401, 403, 429, 500) } } },
    async (request, reply) => {
      userOf(request);
      if (request.session) await deleteSession(app.store.db, request.session.tokenHash);
      clearSessionCookie(request, reply);
      return reply.code(204).send(null);
    },
  );
};
