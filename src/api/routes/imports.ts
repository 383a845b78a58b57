import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { importFolder } from '../../content/folders.js';
import { retryAfterSeconds } from '../../jobs/exportService.js';
import { viewerOf } from '../auth.js';
import { errors } from '../schemas.js';
import { optionalId, receiveUpload } from '../uploads.js';
import { jobJson, JobJson } from './jobs.js';

export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/import',
    {
      schema: {
        operationId: 'createImportJob',
        summary:
          'Import an RSpace XML archive (.zip) or a .eln file into your own space (extension; multipart: file, folderId?); answers 202 with a job, whose result lists what was created',
        consumes: ['multipart/form-data'],
        response: { 202: JobJson, ...errors(400, 401, 404, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(request);
      const job = await receiveUpload(request, async (upload) => {
        const intoFolderId = optionalId(upload.fields, 'folderId') ?? null;
        // Checked now, so a bad folder is a 404 or 422 at once and not a failed job later; the job checks again.
        if (intoFolderId !== null) await importFolder(app.store.db, viewer, intoFolderId);
        const asked = { archiveName: upload.fileName || 'Import', uploadKey: upload.blob.key, size: upload.blob.size, intoFolderId };
        return app.exports.submitImport(viewer, asked, request.id);
      });
      const body = jobJson(request, job);
      return reply.code(202).header('Location', body._links[0]!.link).header('Retry-After', retryAfterSeconds(job.status)).send(body);
    },
  );
};
