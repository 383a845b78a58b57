import SQLite from 'better-sqlite3';
import { DEFAULT_MIGRATION_TABLE, Kysely, SqliteDialect, sql, type RawBuilder } from 'kysely';
import { sqliteFile } from './db.js';
import type { DB } from './schema.js';

/**
 * Copies an embedded install's database into PostgreSQL, keys and ids unchanged, a batch at a
 * time by primary key (keyset), so a large install costs no more memory than a small one. Safe to
 * run again: a row already in the target with equal content is skipped, and a target holding any
 * row the source does not (another install, or rows that disagree) is refused before anything is
 * written to it.
 */

/**
 * Tables whose rows are nobody's to keep: each caller's rate-limit window (empty on SQLite,
 * whose one process counts in memory; written by every request the migrated site serves, which
 * must not make a re-run refuse the target), and sign-in sessions (people sign in again on the
 * moved site; one made there must not make a re-run refuse it either).
 */
const transient = { rate_limits: true, sessions: true } as const;
type CopiedTable = Exclude<keyof DB, keyof typeof transient>;

/**
 * Every other table with its primary key, parents before the tables that reference them. The
 * type makes a table added to schema.ts fail to compile until it is listed here or in `transient`.
 */
const primaryKeys: { readonly [T in CopiedTable]: readonly (keyof DB[T] & string)[] } = {
  users: ['id'],
  lab_groups: ['id'],
  group_members: ['group_id', 'user_id'],
  forms: ['id'],
  records: ['id'],
  fields: ['id'],
  document_versions: ['document_id', 'version'],
  media: ['record_id'],
  field_files: ['field_id', 'file_id'],
  field_links: ['field_id', 'target_id'],
  comments: ['id'],
  export_jobs: ['id'],
  import_blobs: ['job_id', 'blob_key'],
  export_plan: ['job_id', 'record_id'],
  notification_settings: ['user_id'],
  notice_deliveries: ['id'],
};

export type TableName = CopiedTable;
export const copiedTables = Object.keys(primaryKeys) as TableName[];

/** Rows per query: 500 rows of the widest table (export_jobs, 23 columns) stay far below PostgreSQL's 65,535 parameters. */
const batchSize = 500;

type Row = Record<string, unknown>;
// Tables are named at run time here; the rows are compared and copied whole, column by column.
type AnyDb = Kysely<Record<string, Row>>;

/** Tables of the database's own (SQLite's counters) or of the migrator, which the target's own migrations write. */
const notCopied = /^(sqlite_|kysely_)/;

export interface TableCopy {
  table: TableName;
  /** Rows written by this run; the rest were there already, equal. */
  copied: number;
}

/**
 * The embedded database, locked for as long as it is open: its server must not write while the
 * copy is taken, and a server started meanwhile fails to open it rather than writing rows the copy
 * would miss. Nothing is written: the connection is query-only. A running server is found here
 * and refused: its connection holds a shared lock on the file even while idle (WAL mode), which
 * BEGIN EXCLUSIVE meets as SQLITE_BUSY (tried with better-sqlite3 12 and a server at rest).
 */
export function openSourceDatabase(dataDir: string): Kysely<DB> {
  const file = sqliteFile(dataDir);
  let database: SQLite.Database;
  try {
    database = new SQLite(file, { fileMustExist: true, timeout: 0 });
  } catch (error) {
    throw new Error(`There is no embedded database at ${file}: run this where the server ran, with its ELNPORT_DATA_DIR`, { cause: error });
  }
  try {
    // Exclusive locking mode keeps every lock once taken; BEGIN EXCLUSIVE takes the strongest, and
    // the rollback writes nothing.
    database.pragma('locking_mode = EXCLUSIVE');
    database.exec('begin exclusive');
    database.exec('rollback');
    database.pragma('query_only = ON');
  } catch (error) {
    database.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`${file} is in use: stop the elnport server (and every other elnport command) on this data directory, then run this again`, { cause: error });
    }
    throw error;
  }
  return new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
}

/**
 * Tables in the PostgreSQL target that are neither ours nor our migrator's: a database another
 * application uses, which our migrations must not be run on. Asked before anything is created.
 */
export async function foreignTables(databaseUrl: string): Promise<string[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>('select table_name as name from information_schema.tables where table_schema = current_schema() order by 1');
    return rows.map((row) => row.name).filter((name) => !notCopied.test(name) && !(copiedTables as string[]).includes(name) && !(name in transient));
  } finally {
    await client.end();
  }
}

async function appliedMigrations(db: AnyDb): Promise<string[]> {
  const rows = await db.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').orderBy('name').execute();
  return rows.map((row) => String(row.name));
}

async function sourceTables(source: AnyDb): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(source);
  return rows.map((row) => row.name).filter((name) => !notCopied.test(name));
}

/**
 * The two schemas must be the same: the target's is made by this code's migrations, so the source
 * must have run exactly those (a source written by an older elnport is brought up to date by
 * starting this version's server on it once), and hold no table this copier does not know.
 */
export async function checkSchemas(source: Kysely<DB>, target: Kysely<DB>): Promise<void> {
  const [sourceDone, targetDone] = await Promise.all([appliedMigrations(source as unknown as AnyDb), appliedMigrations(target as unknown as AnyDb)]);
  if (sourceDone.join('\n') !== targetDone.join('\n')) {
    const missing = targetDone.filter((name) => !sourceDone.includes(name));
    throw new Error(
      missing.length > 0
        ? `The embedded database lacks migrations ${missing.join(', ')}: start this version's server on it once (then stop it) to bring it up to date, and run this again`
        : `The embedded database was written by another elnport version (migrations ${sourceDone.filter((n) => !targetDone.includes(n)).join(', ')}): migrate with that version`,
    );
  }
  const unknown = (await sourceTables(source as unknown as AnyDb)).filter((name) => !(copiedTables as string[]).includes(name) && !(name in transient));
  if (unknown.length > 0) throw new Error(`The embedded database has tables this version cannot copy: ${unknown.join(', ')}`);
}

function keyTuple(columns: readonly string[]): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map((column) => sql.ref(column)))})`;
}

function valueTuple(row: Row, columns: readonly string[]): RawBuilder<unknown> {
  return sql`(${sql.join(columns.map((column) => row[column]))})`;
}

/** The next batch of `table` in key order, after the row `after` (from the start when undefined). */
async function batchAfter(db: AnyDb, table: TableName, after: Row | undefined): Promise<Row[]> {
  const keys = primaryKeys[table];
  let query = db.selectFrom(table).selectAll();
  if (after) query = query.where(sql<boolean>`${keyTuple(keys)} > ${valueTuple(after, keys)}`);
  for (const key of keys) query = query.orderBy(key);
  return query.limit(batchSize).execute();
}

/** The rows of `table` whose keys lie from `first` to `last`, by key. */
async function rowsBetween(db: AnyDb, table: TableName, first: Row, last: Row): Promise<Map<string, Row>> {
  const keys = primaryKeys[table];
  const rows = await db
    .selectFrom(table)
    .selectAll()
    .where(sql<boolean>`${keyTuple(keys)} >= ${valueTuple(first, keys)} and ${keyTuple(keys)} <= ${valueTuple(last, keys)}`)
    .execute();
  return new Map(rows.map((row) => [keyOf(table, row), row]));
}

function keyOf(table: TableName, row: Row): string {
  return JSON.stringify(primaryKeys[table].map((key) => row[key]));
}

/**
 * Whether two values of one column are the same. PostgreSQL keeps a `real` column in 4 bytes
 * (export_jobs.percent_complete), SQLite in 8: such a value reads back rounded to single precision.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Math.fround(a) === Math.fround(b);
  return false;
}

/** The first column in which the rows differ, or null when they are equal. */
function difference(source: Row, target: Row): string | null {
  for (const column of new Set([...Object.keys(source), ...Object.keys(target)])) {
    if (!sameValue(source[column] ?? null, target[column] ?? null)) return column;
  }
  return null;
}

/** Walks every row of `table` in `db`, a batch at a time. */
async function* batches(db: AnyDb, table: TableName): AsyncGenerator<Row[]> {
  let after: Row | undefined;
  for (;;) {
    const rows = await batchAfter(db, table, after);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1];
  }
}

function describeKey(table: TableName, row: Row): string {
  return primaryKeys[table].map((key) => `${key} ${String(row[key])}`).join(', ');
}

/**
 * Refuses a target that holds any row the source has not, or has with other content: another
 * install's data, or rows changed since an earlier run. Rows of the source not yet in the target
 * are what a run copies; a target with only those missing is the one an interrupted run left.
 */
export async function checkTargetRows(source: Kysely<DB>, target: Kysely<DB>): Promise<void> {
  const [from, to] = [source as unknown as AnyDb, target as unknown as AnyDb];
  for (const table of copiedTables) {
    for await (const rows of batches(to, table)) {
      const theirs = await rowsBetween(from, table, rows[0]!, rows[rows.length - 1]!);
      for (const row of rows) {
        const original = theirs.get(keyOf(table, row));
        const column = original ? difference(original, row) : null;
        if (!original || column) {
          throw new Error(
            `The target database holds data that is not this install's: ${table} (${describeKey(table, row)}) ` +
              `${original ? `differs in ${column}` : 'is not in the embedded database'}. Migrate into a new, empty database; nothing was written`,
          );
        }
      }
    }
  }
}

async function count(db: AnyDb, table: TableName): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Copies every row the target lacks, table by table in `copiedTables` order; each batch is one
 * insert, so an interruption leaves whole rows, which the next run skips. Within records, id order
 * puts every parent first: a record gets its parent when it is made, and ids only grow.
 */
export async function copyRows(source: Kysely<DB>, target: Kysely<DB>, progress: (table: TableName, read: number, copied: number) => void): Promise<TableCopy[]> {
  const [from, to] = [source as unknown as AnyDb, target as unknown as AnyDb];
  const out: TableCopy[] = [];
  for (const table of copiedTables) {
    let copied = 0;
    let read = 0;
    for await (const rows of batches(from, table)) {
      const present = await rowsBetween(to, table, rows[0]!, rows[rows.length - 1]!);
      const missing = rows.filter((row) => !present.has(keyOf(table, row)));
      if (missing.length > 0) await to.insertInto(table).values(missing).execute();
      copied += missing.length;
      read += rows.length;
      progress(table, read, copied);
    }
    out.push({ table, copied });
  }
  return out;
}

/**
 * Sets each id sequence of the PostgreSQL target past the largest id copied, so the rows the
 * migrated server makes do not collide with them. Idempotent: run after every copy.
 */
export async function advanceIdSequences(target: Kysely<DB>): Promise<void> {
  for (const table of copiedTables) {
    if (primaryKeys[table].join() !== 'id') continue;
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 0) + 1, false) from ${sql.table(table)}`.execute(target);
  }
}

/** Row counts of every table on both sides, taken after the copy. */
export async function compareCounts(source: Kysely<DB>, target: Kysely<DB>): Promise<{ table: TableName; source: number; target: number }[]> {
  const [from, to] = [source as unknown as AnyDb, target as unknown as AnyDb];
  return Promise.all(copiedTables.map(async (table) => ({ table, source: await count(from, table), target: await count(to, table) })));
}
