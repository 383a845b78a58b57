import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import type { ExportService } from '../jobs/exportService.js';
import { version } from '../version.js';
import { authentication } from './auth.js';
import { registerErrorHandling } from './errors.js';
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
  const app = Fastify({
    ...(parts.logger ? { loggerInstance: parts.logger } : { logger: { level: parts.config.logLevel } }),
    bodyLimit: 16 * 1024 * 1024,
    // Ids in RSpace paths are numbers, so ajv's coercion of path and query strings is wanted.
    ajv: { customOptions: { coerceTypes: true, removeAdditional: true, useDefaults: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('config', parts.config);
  app.decorate('store', parts.store);
  app.decorate('blobs', parts.blobs);
  app.decorate('archives', parts.archives);
  app.decorate('exports', parts.exports);
  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'elnport: RSpace API v1 export jobs and content', version },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'apiKey' } } },
      security: [{ apiKey: [] }],
    },
  });
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
