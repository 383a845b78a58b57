import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * Where `vite build` puts the page (web/vite.config.ts): dist/web at the repository's top, two
 * levels up from this file whether it runs as src/api/webPage.ts (tsx) or dist/api/webPage.js.
 */
export const webPageDir = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/**
 * The page runs only its own bundled script and style and talks only to this server; nothing
 * may frame it (clickjacking) or post a form elsewhere.
 */
export const pageSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', pageSecurityPolicy)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer');
}

/** Public routes (no API key: the page signs in itself), left out of the API document. */
const pageRoute = { config: { public: true }, schema: { hide: true } };

/**
 * The exports page at `/` and its assets at `/assets/<name>`, only in a process that serves the
 * API. Vite names each asset by a hash of its content, so an asset is cached for a year and the
 * page itself never, which is how a new build reaches every browser at once. Without a build
 * (only tsc ran) `/` says how to make one.
 */
export async function registerWebPage(app: FastifyInstance, dir: string = webPageDir): Promise<void> {
  // No root here: @fastify/static would warn of a missing one, and a missing build is answered below.
  await app.register(fastifyStatic, { serve: false });
  app.get('/', pageRoute, (_request, reply) => {
    secure(reply);
    if (!fs.existsSync(`${dir}/index.html`)) {
      return reply.code(503).type('text/plain; charset=utf-8').send('The exports page has not been built: run `npm run build`.\n');
    }
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html', dir, { cacheControl: false });
  });
  app.get<{ Params: { '*': string } }>('/assets/*', pageRoute, (request, reply) =>
    secure(reply).header('Cache-Control', 'public, max-age=31536000, immutable').sendFile(`assets/${request.params['*']}`, dir, { cacheControl: false }),
  );
}
