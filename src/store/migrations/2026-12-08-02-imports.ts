import { sql, type Kysely } from 'kysely';

/**
 * Import jobs (issue 11, item 5) share the export jobs' table, ids, lifecycle and queue: `kind`
 * tells them apart, `upload_key` names the uploaded archive's blob until the job is over, and
 * `result_json` holds what a completed import created. An imported document keeps where it came
 * from and who wrote it in `provenance_json`. Frozen: later changes go in new migrations. Imports
 * no app code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('export_jobs').addColumn('kind', 'text', (c) => c.notNull().defaultTo('export')).execute();
  await db.schema.alterTable('export_jobs').addColumn('upload_key', 'text').execute();
  await db.schema.alterTable('export_jobs').addColumn('result_json', 'text').execute();
  // One unfinished export and one unfinished import per user: an import does not hold up a backup.
  await db.schema.dropIndex('export_jobs_one_unfinished').execute();
  await sql`create unique index export_jobs_one_unfinished on export_jobs (owner_id, kind) where status in ('STARTING', 'STARTED')`.execute(db);
  await db.schema.alterTable('records').addColumn('provenance_json', 'text').execute();
}
