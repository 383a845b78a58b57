import type { Kysely } from 'kysely';

/**
 * A `.eln` export's RO-Crate entities for each planned document, written as its pages are
 * rendered and read back, in order, when `ro-crate-metadata.json` is written last (issue 11):
 * the metadata names each page's sha256, known only once the page is made, and a large export's
 * entities must not wait in memory. Frozen: later changes go in new migrations. Imports no app code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('export_plan').addColumn('crate_json', 'text').execute();
}
