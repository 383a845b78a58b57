import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { contentRange, ifRangeMatches, parseByteRange } from '../../domain/byteRange.js';
import { httpFailure } from '../../domain/errors.js';
import { addGalleryFile, getGalleryFile } from '../../content/files.js';
import { viewerOf } from '../auth.js';
import { errors, IdParams, Links } from '../schemas.js';
import { optionalId, receiveUpload } from '../uploads.js';
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

/**
 * The quoted name is for old clients and must be plain ASCII (Node refuses other header bytes);
 * filename* carries the real name, percent-encoding all that RFC 8187's attr-char leaves out.
 */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.store.db;

  app.post(
    '/files',
    {
      schema: {
        operationId: 'uploadFile',
        summary: 'Upload a file to the gallery (multipart: file, folderId?, caption?)',
        consumes: ['multipart/form-data'],
        response: { 201: FileJson, ...errors(400, 401, 404, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => {
      const viewer = await viewerOf(request);
      const created = await receiveUpload(request, (upload) =>
        addGalleryFile(db, app.blobs, viewer, {
          fileName: upload.fileName,
          contentType: upload.contentType,
          caption: upload.fields.get('caption'),
          folderId: optionalId(upload.fields, 'folderId'),
        }, upload.blob),
      );
      return reply.code(201).send(fileJson(request, created.record, created.file));
    },
  );

  app.get(
    '/files/:id',
    { schema: { operationId: 'getFile', summary: "A gallery file's metadata", params: IdParams, response: { 200: FileJson, ...errors(400, 401, 404, 429, 500) } } },
    async (request) => {
      const { record, file } = await getGalleryFile(db, await viewerOf(request), request.params.id);
      return fileJson(request, record, file);
    },
  );

  app.get(
    '/files/:id/file',
    {
      schema: {
        operationId: 'downloadFile',
        summary: "A gallery file's bytes; a single Range is answered with 206",
        params: IdParams,
        response: { 200: Binary, 206: Binary, ...errors(400, 401, 404, 416, 429, 500) },
      },
    },
    async (request, reply) => {
      const { file } = await getGalleryFile(db, await viewerOf(request), request.params.id);
      // A file's bytes never change, so their hash is a strong tag that a resuming client can send back.
      const etag = `"${file.sha256}"`;
      // RFC 9110 defines Range for GET alone; a HEAD describes the whole file.
      // Node joins a repeated header into one string, set-cookie alone excepted.
      const ifRange = request.headers['if-range'] as string | undefined;
      const asked = request.method === 'GET' && ifRangeMatches(ifRange, etag) ? request.headers.range : undefined;
      const range = parseByteRange(asked, file.size);
      reply.header('Accept-Ranges', 'bytes');
      if (range === 'unsatisfiable') {
        reply.header('Content-Range', contentRange(range, file.size));
        throw httpFailure(416, `The range ${request.headers.range} is outside the file's ${file.size} bytes`);
      }
      const stream = await app.blobs.open(file.blobKey, range ?? undefined);
      if (range) reply.code(206).header('Content-Range', contentRange(range, file.size));
      return reply
        .type(file.contentType)
        // The type is whatever the uploader claimed; a browser must not second-guess it into HTML.
        .header('X-Content-Type-Options', 'nosniff')
        .header('ETag', etag)
        .header('Content-Length', range ? range.end - range.start + 1 : file.size)
        .header('Content-Disposition', attachment(file.fileName))
        .send(stream);
    },
  );
};
