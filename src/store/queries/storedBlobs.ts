import type { Db } from '../db.js';

/** A blob a row names, with what the row says its bytes are. */
export interface NamedBlob {
  /** The attachment's blob key, or the archive's name. */
  name: string;
  /** The record (attachment) or job (archive) that names it; the key of the walk. */
  ownerId: number;
  size: number | null;
  sha256: string | null;
}

/** Every attachment's blob, a page at a time in record id order; soft-deleted records keep theirs. */
export async function attachmentBlobsAfter(db: Db, afterRecordId: number, limit: number): Promise<NamedBlob[]> {
  const rows = await db
    .selectFrom('media')
    .select(['record_id', 'blob_key', 'size', 'sha256'])
    .where('record_id', '>', afterRecordId)
    .orderBy('record_id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ name: row.blob_key, ownerId: row.record_id, size: row.size, sha256: row.sha256 }));
}

/** Every finished export's archive not yet removed (expired or not), a page at a time in job id order. */
export async function keptArchivesAfter(db: Db, afterJobId: number, limit: number): Promise<NamedBlob[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .select(['id', 'archive_name', 'size', 'sha256'])
    .where('status', '=', 'COMPLETED')
    .where('archive_name', 'is not', null)
    .where('archive_deleted', 'is', null)
    .where('id', '>', afterJobId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ name: row.archive_name!, ownerId: row.id, size: row.size, sha256: row.sha256 }));
}
