import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { Config } from '../config.js';
import type { DB } from '../store/schema.js';

/**
 * What the job code (service, sweeper, recovery, archive removal) is handed. It lives apart from
 * each of them so that none imports another only for this type.
 */
export interface JobParts {
  db: Kysely<DB>;
  dialect: 'sqlite' | 'postgres';
  blobs: BlobStore;
  archives: ArchiveStore;
  config: Config;
  log: FastifyBaseLogger;
  /** A job ended here (COMPLETED, FAILED, ABANDONED): its notices need not wait for the notifier's next poll. */
  onJobEnded?: (jobId: number) => void;
}
