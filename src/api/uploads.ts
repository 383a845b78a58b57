import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import type { StoredBlob } from '../blobs/blobStore.js';
import { invalidField, missingParameter, payloadTooLarge, typeMismatch, unreadableBody } from '../domain/errors.js';

export function optionalId(fields: Map<string, string>, name: string): number | undefined {
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

/** A multipart body's one file, already in the blob store, and its other fields. */
export interface Upload {
  fileName: string;
  contentType: string;
  blob: StoredBlob;
  fields: Map<string, string>;
}

/**
 * Reads a multipart body of form fields and one file in the part named "file", whose bytes go
 * straight to the blob store as they arrive (never held whole), cut at the upload limit (413),
 * then hands it to `use`. Should reading or `use` fail, the blob goes: nothing is left half-added.
 */
export async function receiveUpload<T>(request: FastifyRequest, use: (upload: Upload) => Promise<T>): Promise<T> {
  const { blobs, config } = request.server;
  if (!request.isMultipart()) throw unreadableBody('send the file as multipart/form-data with a part named "file"');
  const fields = new Map<string, string>();
  let upload: Omit<Upload, 'fields'> | undefined;
  try {
    for await (const part of partsOf(request)) {
      if (part.type === 'field') {
        fields.set(part.fieldname, String(part.value));
      } else if (part.fieldname !== 'file' || upload) {
        part.file.resume();
        throw invalidField(part.fieldname, part.filename, oneFile);
      } else {
        const blob = await blobs.put(part.file).catch((error: unknown) => {
          // The parser breaks off the file's stream when the body is malformed: not a storage failure.
          throw part.file.errored ? parserFailure(part.file.errored) : error;
        });
        upload = { fileName: part.filename, contentType: part.mimetype, blob };
        if (part.file.truncated) throw payloadTooLarge(`The file is larger than the limit of ${config.maxUploadBytes / 1024 / 1024} MB`);
      }
    }
    if (!upload) throw missingParameter('file');
    return await use({ ...upload, fields });
  } catch (error) {
    if (upload) await blobs.delete(upload.blob.key);
    throw error;
  }
}
