import { createRequire } from 'node:module';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import { isSafeMethod, sessionCookie } from '../domain/sessions.js';
import { version } from '../version.js';
import { registerErrorHandling } from './errors.js';
import { lazySchemaCompilers } from './lazySchemas.js';
import { requestIdHeader, requestIdOf } from './requestIds.js';
import { errors } from './schemas.js';

const { license } = createRequire(import.meta.url)('../../package.json') as { license: string };

const apiDescription = `Gets a lab's work out of its electronic lab notebook: the RSpace ELN API v1, its export jobs and the \
content they export. Operations need an API key, in the \`apiKey\` header or as a Bearer token, or the exports \
page's session cookie (POST /session), with whose changes the session's CSRF token goes in X-CSRF-Token; the health \
check, which needs none, still refuses a key that is wrong.

Every refusal has the one error body. Besides the codes each operation lists, any request may be refused before it \
reaches one: 400 when it is not valid HTTP/1.1 or has no Host header, 408 when it does not arrive in time, 413 or 415 \
for a body that an operation without one does not take, 417 for an Expect other than 100-continue, 431 for headers \
that are too large, 503 while the server shuts down.

This document is served at /api/v1/openapi.json, and as a page to browse at /api/v1/docs.`;

const tags = [
  { name: 'status', description: 'Health check' },
  { name: 'userDetails', description: 'The caller' },
  { name: 'sysadmin', description: 'Users and groups, for sysadmins' },
  { name: 'groups', description: 'Groups' },
  { name: 'folders', description: 'Folders and notebooks' },
  { name: 'documents', description: 'Documents' },
  { name: 'files', description: 'Gallery files' },
  { name: 'export', description: 'Export jobs and their archives' },
  { name: 'jobs', description: 'Export and import jobs' },
  { name: 'import', description: 'Importing RSpace XML archives and .eln files (extension)' },
  { name: 'me', description: "The caller's notices when a job ends: webhook, e-mail, deliveries (extension)" },
  { name: 'session', description: 'Signing in to the exports page with a session cookie (extension)' },
];

const docsPrefix = '/api/v1/docs';
/** @fastify/swagger-ui's routes under its prefix (lib/routes.js, with a title and no theme files). */
const docsPaths = ['', '/', '/json', '/yaml', '/static/*'];

/** What a route contributes to the document, as @fastify/swagger reads it. */
type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config' | 'exposeHeadRoute'>;

/**
 * The OpenAPI document and the page that shows it, made on the first request for either: few
 * requests ever ask, and @fastify/swagger with swagger-ui and @fastify/static cost a fresh
 * server 7 MB. They run in an app of their own, never listening, that is given the routes'
 * schemas as they were registered here and answers what this app passes to it.
 */
class ApiDocument {
  readonly #routes: DocumentedRoute[] = [];
  #app: Promise<FastifyInstance> | undefined;

  constructor(
    private readonly outer: FastifyInstance,
    private readonly config: Config,
  ) {}

  record(route: RouteOptions): void {
    const { method, url, schema, config, exposeHeadRoute } = route;
    // The document leaves out hidden routes, and HEAD routes not marked for it (add-hook.js), such
    // as the HEAD twin Fastify adds to a GET, which the other app adds again.
    if (schema?.hide || (method === 'HEAD' && !(config as { swagger?: { exposeHeadRoute?: boolean } } | undefined)?.swagger?.exposeHeadRoute)) return;
    this.#routes.push({ method, url, schema, config, exposeHeadRoute });
  }

  app(): Promise<FastifyInstance> {
    this.#app ??= this.#build().catch((error: unknown) => {
      this.#app = undefined;
      throw error;
    });
    return this.#app;
  }

  async close(): Promise<void> {
    await (await this.#app?.catch(() => undefined))?.close();
  }

  async #build(): Promise<FastifyInstance> {
    const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
    const app = Fastify({
      loggerInstance: this.outer.log,
      // The request was logged as it reached the app that passed it on.
      logController: new LogController({ disableRequestLogging: true }),
      genReqId: requestIdOf,
      schemaController: lazySchemaCompilers(),
    });
    registerErrorHandling(app);
    const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }, { session: [] }];
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'elnport: RSpace API v1 export jobs and content',
          version,
          description: apiDescription,
          license: { name: license, url: `https://spdx.org/licenses/${license}.html` },
        },
        // Relative unless a public URL is configured, so that the document holds wherever it is served.
        servers: [{ url: this.config.publicUrl ?? '/' }],
        tags,
        components: {
          securitySchemes: {
            apiKey: { type: 'apiKey', in: 'header', name: 'apiKey' },
            bearer: { type: 'http', scheme: 'bearer', description: 'the API key as a Bearer token' },
            session: {
              type: 'apiKey',
              in: 'cookie',
              name: sessionCookie,
              description: 'the exports page\'s session (POST /session); a change made with it needs the session\'s CSRF token in X-CSRF-Token',
            },
          },
        },
        security,
      },
      // Tagged by the first segment of the path, which names the route file.
      transform: ({ schema, url, route }) => ({
        url,
        schema: {
          ...schema,
          tags: [url.split('/')[3] ?? ''],
          // An empty requirement lets a public route be called without a key.
          ...(route.config?.public ? { security: [{}, ...security] } : {}),
          // Any change a session makes may lack its CSRF token (auth.ts).
          ...(!route.config?.public && ![route.method].flat().every(isSafeMethod) ? { response: { ...(schema?.response as object | undefined), ...errors(403) } } : {}),
          // @fastify/swagger appends -head to a HEAD route's operationId, to tell it from a GET's when
          // both come from one route; ours are declared on their own, and named.
          ...(route.method === 'HEAD' && schema?.operationId ? { operationId: schema.operationId.replace(/-head$/, '') } : {}),
        },
      }),
    });
    const apiOrigin = this.config.publicUrl ? ` ${new URL(this.config.publicUrl).origin}` : '';
    await app.register(swaggerUi, {
      routePrefix: docsPrefix,
      theme: { title: 'elnport API' },
      // Its logo is a data: image; "Try it out" calls the API, at the public URL when there is one.
      staticCSP: `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'${apiOrigin}; `
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    // Only described, never called: nothing reaches these but the document's generator.
    for (const route of this.#routes) app.route({ ...route, handler: async () => undefined });
    await app.ready();
    return app;
  }
}

/** Headers of the inner app's answer that belong to its own connection, or that this app sets. */
const notPassedOn = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', requestIdHeader]);

async function passOn(document: ApiDocument, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const head = request.method === 'HEAD';
  const answer = await (await document.app()).inject({
    method: head ? 'HEAD' : 'GET',
    url: request.url,
    headers: { ...request.headers, [requestIdHeader]: request.id },
  });
  for (const [name, value] of Object.entries(answer.headers)) {
    // A HEAD answer keeps the length of what a GET would send; a GET's is counted again as it is sent.
    if (value !== undefined && !notPassedOn.has(name) && (head || name !== 'content-length')) reply.header(name, value);
  }
  reply.code(answer.statusCode);
  // An empty Buffer would be sent as application/octet-stream, where the answer had no type.
  return head || answer.rawPayload.length === 0 ? reply.send() : reply.send(answer.rawPayload);
}

/**
 * /api/v1/openapi.json and the page at /api/v1/docs, both public. Registered before the routes,
 * so that it sees each as it is added.
 */
export function registerApiDocument(app: FastifyInstance, config: Config): void {
  const document = new ApiDocument(app, config);
  app.addHook('onRoute', (route) => document.record(route));
  app.addHook('onClose', () => document.close());
  const hidden = { config: { public: true }, schema: { hide: true } };
  app.get('/api/v1/openapi.json', hidden, async () => (await document.app()).swagger());
  for (const path of docsPaths) {
    app.route({ method: ['GET', 'HEAD'], url: `${docsPrefix}${path}`, ...hidden, handler: (request, reply) => passOn(document, request, reply) });
  }
}
