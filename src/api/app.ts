import { createRequire } from 'node:module';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import type { ExportService } from '../jobs/exportService.js';
import { version } from '../version.js';
import { authentication } from './auth.js';
import { registerCanonicalInput } from './canonicalInput.js';
import { clientErrorHandler, registerConnectionErrors } from './connectionErrors.js';
import { answerError, registerErrorHandling } from './errors.js';
import { logSerializers, registerRequestIds, requestIdOf } from './requestIds.js';
import { statusRoutes } from './routes/status.js';
import { userDetailsRoutes } from './routes/userDetails.js';
import { sysadminRoutes } from './routes/sysadmin.js';
import { groupRoutes } from './routes/groups.js';
import { folderRoutes } from './routes/folders.js';
import { documentRoutes } from './routes/documents.js';
import { fileRoutes } from './routes/files.js';
import { exportRoutes } from './routes/exports.js';
import { jobRoutes } from './routes/jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: Store;
    blobs: BlobStore;
    archives: ArchiveStore;
    exports: ExportService;
  }
}

export interface AppParts {
  config: Config;
  store: Store;
  blobs: BlobStore;
  archives: ArchiveStore;
  exports: ExportService;
  logger?: FastifyBaseLogger;
}

/** The HTTP API, ready to `listen()` or `inject()`; it owns none of the parts it is given. */
export async function buildApp(parts: AppParts): Promise<FastifyInstance> {
  const { timeouts } = parts.config;
  const app = Fastify({
    ...(parts.logger
      ? { loggerInstance: parts.logger.child({}, { serializers: logSerializers }) }
      : { logger: { level: parts.config.logLevel, serializers: logSerializers } }),
    genReqId: requestIdOf,
    bodyLimit: 16 * 1024 * 1024,
    // Fastify turns Node's request deadline off unless given one, so a trickled body kept its
    // connection forever (issue 7); config.ts says why each deadline is what it is.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      // Node refuses a headersTimeout above the requestTimeout it is created with, which is
      // its own 300 s default unless given here as well.
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      // Node checks both deadlines on a timer, every 30 s unless told; ten checks in the
      // shorter deadline hold each to within a tenth of its length.
      connectionsCheckingInterval: Math.min(30_000, Math.max(1, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 10))),
      // connectionErrors.ts makes this check, to answer it in the contract's shape.
      requireHostHeader: false,
    },
    // Answers Fastify and Node would give in their own shapes (connectionErrors.ts).
    return503OnClosing: false,
    frameworkErrors: answerError,
    clientErrorHandler: clientErrorHandler(parts.config),
    // Ids in RSpace paths are numbers, so ajv's coercion of path and query strings is wanted.
    ajv: { customOptions: { coerceTypes: true, removeAdditional: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', parts.config);
  app.decorate('store', parts.store);
  app.decorate('blobs', parts.blobs);
  app.decorate('archives', parts.archives);
  app.decorate('exports', parts.exports);
  registerRequestIds(app);
  registerErrorHandling(app);
  registerConnectionErrors(app);
  registerCanonicalInput(app);

  await registerApiDocument(app, parts.config);
  await app.register(multipart, {
    limits: { fileSize: parts.config.maxUploadBytes, files: 1, fields: 20, parts: 25 },
  });
  await app.register(authentication);

  await app.register(
    async (api) => {
      await api.register(statusRoutes);
      await api.register(userDetailsRoutes);
      await api.register(sysadminRoutes);
      await api.register(groupRoutes);
      await api.register(folderRoutes);
      await api.register(documentRoutes);
      await api.register(fileRoutes);
      await api.register(exportRoutes);
      await api.register(jobRoutes);
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: '/api/v1' },
  );
  return app;
}

const { license } = createRequire(import.meta.url)('../../package.json') as { license: string };

const apiDescription = `Gets a lab's work out of its electronic lab notebook: the RSpace ELN API v1, its export jobs and the \
content they export. Operations need an API key, in the \`apiKey\` header or as a Bearer token; the health check, \
which needs none, still refuses one that is wrong.

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
  { name: 'jobs', description: 'Export jobs' },
];

/**
 * The OpenAPI document, and the page that shows it at /api/v1/docs. The page and its assets are
 * @fastify/swagger-ui's, served from this server with a CSP that lets them load nothing else.
 */
async function registerApiDocument(app: FastifyInstance, config: Config): Promise<void> {
  const security: Record<string, string[]>[] = [{ apiKey: [] }, { bearer: [] }];
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'elnport: RSpace API v1 export jobs and content',
        version,
        description: apiDescription,
        license: { name: license, url: `https://spdx.org/licenses/${license}.html` },
      },
      // Relative unless a public URL is configured, so that the document holds wherever it is served.
      servers: [{ url: config.publicUrl ?? '/' }],
      tags,
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'apiKey' },
          bearer: { type: 'http', scheme: 'bearer', description: 'the API key as a Bearer token' },
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
        // @fastify/swagger appends -head to a HEAD route's operationId, to tell it from a GET's when
        // both come from one route; ours are declared on their own, and named.
        ...(route.method === 'HEAD' && schema?.operationId ? { operationId: schema.operationId.replace(/-head$/, '') } : {}),
      },
    }),
  });
  const apiOrigin = config.publicUrl ? ` ${new URL(config.publicUrl).origin}` : '';
  await app.register(async (docs) => {
    // No key is needed to read the document, so none to read the page that shows it: this reaches
    // every route the plugin adds, those of @fastify/static for its assets among them.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, {
      routePrefix: '/api/v1/docs',
      theme: { title: 'elnport API' },
      // Its logo is a data: image; "Try it out" calls the API, at the public URL when there is one.
      staticCSP: `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'${apiOrigin}; `
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
  });
}
