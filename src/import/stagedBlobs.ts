import type { Readable } from 'node:stream';
import { newBlobKey, type BlobStore, type StoredBlob } from '../blobs/blobStore.js';
import type { Db } from '../store/db.js';
import { forgetImportBlobs, recordImportBlob } from '../store/queries/importBlobs.js';

/**
 * The blobs one import stores before its records exist. Each is named in `import_blobs` before its
 * bytes are written, so that whatever ends the import (a failure, a cancel, the process dying)
 * leaves names the sweeper can act on, never bytes no row names.
 */
export class StagedBlobs {
  private readonly staged = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly blobs: BlobStore,
    private readonly jobId: number,
  ) {}

  async put(source: Readable): Promise<StoredBlob> {
    const key = newBlobKey();
    await recordImportBlob(this.db, this.jobId, key);
    this.staged.add(key);
    return this.blobs.putAt(key, source);
  }

  /** A blob the import does not need after all (its bytes are another's). */
  async drop(key: string): Promise<void> {
    await this.blobs.delete(key);
    await forgetImportBlobs(this.db, this.jobId, [key]);
    this.staged.delete(key);
  }

  /** In the transaction that writes their records: the blobs are the records' now. */
  async adopt(trx: Db): Promise<void> {
    await forgetImportBlobs(trx, this.jobId, [...this.staged]);
  }

  /** After a failure: the blobs go, then their names; what cannot go now the sweeper removes later. */
  async discard(): Promise<void> {
    const keys = [...this.staged];
    await Promise.all(keys.map((key) => this.blobs.delete(key).catch(() => undefined)));
    await forgetImportBlobs(this.db, this.jobId, keys).catch(() => undefined);
  }
}
