import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * What each running export holds, one row per record, so that a 100,000-document export costs
 * the server no more memory than a small one (issue 9): the builder reads it back by keyset.
 * Rows live only while their job runs. Frozen: later changes go in new migrations. Imports no
 * app code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  // The A–Z key is compared by code point: SQLite's default (binary) order on UTF-8 is that, and
  // PostgreSQL's "C" collation compares the same bytes; a locale's collation would reorder it.
  const keyType = pg ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('export_plan')
    .addColumn('job_id', 'integer', (c) => c.notNull())
    .addColumn('record_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'integer', (c) => c.notNull())
    .addColumn('parent_id', 'integer')
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    /** 1: in the archive on its own (a file in its media_ folder); 0: a file only copied beside the documents showing it. */
    .addColumn('own_folder', 'integer', (c) => c.notNull().defaultTo(1))
    /** How many links away from the exported scope a document was reached (0: in the scope). */
    .addColumn('link_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sort_key', keyType as never, (c) => c.notNull())
    /** While a selection is walked: 1, a folder whose contents are still to be added; 2, the same, not readable, dropped once walked. */
    .addColumn('walk', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('export_plan_pk', ['job_id', 'record_id'])
    // Unlogged on PostgreSQL: its rows skip the write-ahead log, which a plan needs not, as each
    // attempt at a job writes its own again; a crash empties the table, as the sweeper would.
    .$call((table) => (pg ? table.modifyFront(sql`unlogged`) : table))
    .execute();

  // Few indexes, as each costs every row a write: pages of one kind read the key's order and
  // skip the other kinds, which costs one pass over the plan whatever the page size.
  // A folder's contents. Kind is left out: with it, SQLite read a folder's subfolders (two kinds)
  // by the primary key instead, the whole plan for each folder.
  await db.schema.createIndex('export_plan_parent').on('export_plan').columns(['job_id', 'parent_id', 'record_id']).execute();
  // The A–Z index, ties by id.
  await db.schema.createIndex('export_plan_name').on('export_plan').columns(['job_id', 'sort_key', 'record_id']).execute();
  // A user's records a page at a time in id order: (owner_id, kind, modified) would sort the whole
  // rest of their records for each page, which made planning 100,000 documents quadratic.
  await db.schema.createIndex('records_owner_id').on('records').columns(['owner_id', 'id']).execute();
  // The next folder to walk, found without reading the rows already walked.
  await db.schema.createIndex('export_plan_walk').on('export_plan').columns(['job_id', 'record_id']).where(sql.ref('walk'), '>', 0).execute();
}
