import path from 'node:path';
import type { ArchiveStore } from './archiveStore.js';
import type { BlobStore } from './blobStore.js';
import { LocalArchiveStore } from './localArchiveStore.js';
import { LocalBlobStore } from './localBlobStore.js';
import { S3ArchiveStore } from './s3ArchiveStore.js';
import { S3BlobStore } from './s3BlobStore.js';
import { openS3Client } from './s3Objects.js';
import type { StorageSettings } from './s3Settings.js';

/** The blob and archive stores the settings name: directories in `dataDir` unless ELNPORT_BLOBS=s3. */
export function openBlobStores(dataDir: string, settings: StorageSettings): { blobs: BlobStore; archives: ArchiveStore } {
  if (settings.kind === 'local') {
    return { blobs: new LocalBlobStore(path.join(dataDir, 'blobs')), archives: new LocalArchiveStore(path.join(dataDir, 'archives')) };
  }
  const client = openS3Client(settings.s3);
  return { blobs: new S3BlobStore(client, settings.s3), archives: new S3ArchiveStore(client, settings.s3) };
}
