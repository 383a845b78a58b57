import { createHash, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

/** Where attachment bytes live: a local directory by default, S3-compatible storage at scale. */
export interface BlobStore {
  /** Stores the stream's bytes whole or not at all; a failed or aborted put leaves nothing behind. */
  put(source: Readable): Promise<StoredBlob>;
  /** As put, under a key chosen by the caller: a blob moved from another store keeps the key its row names. */
  putAt(key: string, source: Readable): Promise<StoredBlob>;
  /** The bytes, or an inclusive byte range of them. Rejects with code ENOENT for a missing blob. */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
}

/** Keys are `<2 hex>/<uuid>` in every store, so a blob's key reads the same wherever it lives. */
export const blobKeyPattern = /^[0-9a-f]{2}\/[0-9a-f-]{36}$/;

export function newBlobKey(): string {
  const id = randomUUID();
  return `${id.slice(0, 2)}/${id}`;
}

/** A pass-through that counts and hashes the bytes of a put as they go by. */
export function blobMeter(): { transform: Transform; measured(): { size: number; sha256: string } } {
  const hash = createHash('sha256');
  let size = 0;
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { transform, measured: () => ({ size, sha256: hash.digest('hex') }) };
}
