import type { Db } from '../db.js';

/** Names a blob for an import job before its bytes are stored. */
export async function recordImportBlob(db: Db, jobId: number, key: string): Promise<void> {
  await db.insertInto('import_blobs').values({ job_id: jobId, blob_key: key }).execute();
}

/** The job's blobs that now have records, or are gone: no longer the sweeper's. */
export async function forgetImportBlobs(db: Db, jobId: number, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 900) {
    await db.deleteFrom('import_blobs').where('job_id', '=', jobId).where('blob_key', 'in', keys.slice(i, i + 900)).execute();
  }
}

/** Blobs of imports no longer running that no record took: a dead attempt's, or a failure's not yet removed. */
export async function abandonedImportBlobs(db: Db): Promise<{ jobId: number; key: string }[]> {
  const rows = await db
    .selectFrom('import_blobs')
    .innerJoin('export_jobs', 'export_jobs.id', 'import_blobs.job_id')
    .select(['import_blobs.job_id', 'import_blobs.blob_key'])
    .where('export_jobs.status', 'not in', ['STARTING', 'STARTED'])
    .execute();
  return rows.map((r) => ({ jobId: r.job_id, key: r.blob_key }));
}
