import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { StoredBlob } from '../../blobs/blobStore.js';
import { invalidField, missingParameter, payloadTooLarge, typeMismatch, unreadableBody } from '../../domain/errors.js';
import { addGalleryFile, getGalleryFile } from '../../content/files.js';
import { viewerOf } from '../auth.js';
import { errorResponses, IdParams, Links } from '../schemas.js';
import { fileJson } from '../views.js';

export const Binary = Type.Unsafe<Readable>({ type: 'string', format: 'binary' });

export const FileJson = Type.Object({
  id: Type.Integer(),
  globalId: Type.String(),
  name: Type.String(),
  caption: Type.String(),
  contentType: Type.String(),
  created: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
  version: Type.Integer(),
  parentFolderId: Type.Union([Type.Integer(), Type.Null()]),
  _links: Links,
});

function optionalId(fields: Map<string, string>, name: string): number | undefined {
  const raw = fields.get(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw typeMismatch(name, raw, 'a whole number');
  return Number(raw);
}

export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.store.db;

  app.post(
    '/files',
    {
      schema: {
        summary: 'Upload a file to the gallery (multipart: file, folderId?, caption?)',
        consumes: ['multipart/form-data'],
        response: { 201: FileJson, 413: errorResponses[400], ...errorResponses },
      },
    },
    async (request, reply) => {
      const viewer = viewerOf(request);
      if (!request.isMultipart()) throw unreadableBody('send the file as multipart/form-data with a part named "file"');
      const fields = new Map<string, string>();
      let upload: { part: MultipartFile; blob: StoredBlob } | undefined;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            fields.set(part.fieldname, String(part.value));
          } else if (part.fieldname !== 'file' || upload) {
            part.file.resume();
            throw invalidField(part.fieldname, part.filename, 'send exactly one file, in the part named "file"');
          } else {
            // The bytes go straight to the blob store; the size limit truncates the stream.
            const blob = await app.blobs.put(part.file);
            upload = { part, blob };
            if (part.file.truncated) {
              throw payloadTooLarge(`The file is larger than the limit of ${app.config.maxUploadBytes / 1024 / 1024} MB`);
            }
          }
        }
        if (!upload) throw missingParameter('file');
        const created = await addGalleryFile(db, app.blobs, viewer, {
          fileName: upload.part.filename,
          contentType: upload.part.mimetype,
          caption: fields.get('caption'),
          folderId: optionalId(fields, 'folderId'),
        }, upload.blob);
        upload = undefined;
        return reply.code(201).send(fileJson(request, created.record, created.file));
      } finally {
        if (upload) await app.blobs.delete(upload.blob.key);
      }
    },
  );

  app.get(
    '/files/:id',
    { schema: { summary: "A gallery file's metadata", params: IdParams, response: { 200: FileJson, ...errorResponses } } },
    async (request) => {
      const { record, file } = await getGalleryFile(db, viewerOf(request), request.params.id);
      return fileJson(request, record, file);
    },
  );

  app.get(
    '/files/:id/file',
    { schema: { summary: "A gallery file's bytes", params: IdParams, response: { 200: Binary, ...errorResponses } } },
    async (request, reply) => {
      const { file } = await getGalleryFile(db, viewerOf(request), request.params.id);
      const stream = await app.blobs.open(file.blobKey);
      return reply
        .type(file.contentType)
        .header('Content-Length', file.size)
        .header('Content-Disposition', `attachment; filename="${file.fileName.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`)
        .send(stream);
    },
  );
};
