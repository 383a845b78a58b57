import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobKeyPattern, blobMeter, newBlobKey, type BlobStore, type StoredBlob } from './blobStore.js';
import { readObject, uploadObject } from './s3Objects.js';
import type { S3Settings } from './s3Settings.js';

/**
 * Blobs as objects `<prefix>blobs/<2 hex>/<uuid>`. An object appears only when its upload
 * completes, so a failed put leaves no object under a real key, and lib-storage aborts its parts.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly settings: S3Settings,
  ) {}

  private objectKey(key: string): string {
    if (!blobKeyPattern.test(key)) throw new Error(`Not a blob key: ${key}`);
    return `${this.settings.prefix}blobs/${key}`;
  }

  async put(source: Readable): Promise<StoredBlob> {
    return this.putAt(newBlobKey(), source);
  }

  async putAt(key: string, source: Readable): Promise<StoredBlob> {
    const meter = blobMeter();
    const upload = uploadObject(this.client, this.settings.bucket, this.objectKey(key), meter.transform);
    // Both settle: a source that fails destroys the meter with its error, which fails the upload.
    const [piped, uploaded] = await Promise.allSettled([pipeline(source, meter.transform), upload.done()]);
    if (piped.status === 'rejected') throw piped.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { key, ...meter.measured() };
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    return readObject(this.client, this.settings.bucket, this.objectKey(key), range);
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of a missing key with success, as `rm -f` does.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }));
  }
}
