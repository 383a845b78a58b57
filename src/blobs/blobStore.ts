import type { Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  size: number;
  sha256: string;
}

/** Where attachment bytes live: a local directory by default, S3-compatible storage at scale. */
export interface BlobStore {
  /** Stores the stream's bytes whole or not at all; a failed or aborted put leaves nothing behind. */
  put(source: Readable): Promise<StoredBlob>;
  /** The bytes, or an inclusive byte range of them. Rejects with code ENOENT for a missing blob. */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(key: string): Promise<void>;
}
