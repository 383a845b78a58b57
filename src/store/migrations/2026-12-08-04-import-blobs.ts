import type { Kysely } from 'kysely';

/**
 * The blobs an import has stored and not yet given a record, each named before its bytes are
 * written: a worker that dies mid-import leaves rows here, not unnamed bytes, and the sweeper
 * removes the blobs of every row whose job is no longer running (issue 11's review). Frozen:
 * later changes go in new migrations. Imports no app code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('import_blobs')
    .addColumn('job_id', 'integer', (c) => c.notNull().references('export_jobs.id'))
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_blobs_pk', ['job_id', 'blob_key'])
    .execute();
}
