import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import type { ExportService } from '../jobs/exportService.js';
import { registerApiDocument } from './apiDocument.js';
import { authentication } from './auth.js';
import { registerCanonicalInput } from './canonicalInput.js';
import { clientErrorHandler, registerConnectionErrors } from './connectionErrors.js';
import { answerError, registerErrorHandling } from './errors.js';
import { lazySchemaCompilers, type RouteName } from './lazySchemas.js';
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
import { importRoutes } from './routes/imports.js';
import { sessionRoutes } from './routes/session.js';
import { notificationRoutes } from './routes/notifications.js';
import { registerWebPage } from './webPage.js';

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

/** The requests every export makes, whose schemas are compiled as the app starts (lazySchemaCompilers). */
export const exportRouteNames = new Set<RouteName>([
  'POST /api/v1/export/:format/:scope',
  'POST /api/v1/export/:format/:scope/:id',
  'GET /api/v1/jobs/:id',
]);

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
    schemaController: lazySchemaCompilers(exportRouteNames),
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

  registerApiDocument(app, parts.config);
  await app.register(multipart, {
    limits: { fileSize: parts.config.maxUploadBytes, files: 1, fields: 20, parts: 25 },
  });
  // Unsigned: the session token is itself a 256-bit secret, looked up by its hash.
  await app.register(cookie);
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
      await api.register(importRoutes);
      await api.register(sessionRoutes);
      await api.register(notificationRoutes);
    },
    { prefix: '/api/v1' },
  );
  await registerWebPage(app);
  return app;
}
