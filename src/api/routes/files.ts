import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { StoredBlob } from '../../blobs/blobStore.js';
import { contentRange, ifRangeMatches, parseByteRange } from '../../domain/byteRange.js';
import { httpFailure, invalidField, missingParameter, payloadTooLarge, typeMismatch, unreadableBody } from '../../domain/errors.js';
import { addGalleryFile, getGalleryFile } from '../../content/files.js';
import { viewerOf } from '../auth.js';
import { errors, IdParams, Links } from '../schemas.js';
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
  const id = Number(raw);
  // Ids are 32-bit in PostgreSQL, which fails a query for a bigger one instead of finding nothing.
  if (id > 2147483647) throw invalidField(name, raw, `${name} must be at most 2147483647`);
  return id;
}

const oneFile = 'send exactly one file, in the part named "file"';

/**
 * The parser's failures in the contract's terms: a second file breaks its one-file limit but is
 * the client's mistake, not an oversized request; and a malformed body (no boundary, cut short)
 * comes as a bare Error, without the code that errors.ts would recognise, so it would be a 500.
 */
function parserFailure(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'FST_FILES_LIMIT') return invalidField('file', null, oneFile);
  if (error instanceof Error && code === undefined) return unreadableBody(error.message, error);
  return error;
}

async function* partsOf(request: FastifyRequest): AsyncGenerator<Multipart> {
  try {
    yield* request.parts();
  } catch (error) {
    throw parserFailure(error);
  }
}

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
      if (!request.isMultipart()) throw unreadableBody('send the file as multipart/form-data with a part named "file"');
      const fields = new Map<string, string>();
      let upload: { part: MultipartFile; blob: StoredBlob } | undefined;
      try {
        for await (const part of partsOf(request)) {
          if (part.type === 'field') {
            fields.set(part.fieldname, String(part.value));
          } else if (part.fieldname !== 'file' || upload) {
            part.file.resume();
            throw invalidField(part.fieldname, part.filename, oneFile);
          } else {
            // The bytes go straight to the blob store; the size limit truncates the stream.
            const blob = await app.blobs.put(part.file).catch((error: unknown) => {
              // The parser breaks off the file's stream when the body is malformed: not a storage failure.
              throw part.file.errored ? parserFailure(part.file.errored) : error;
            });
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
