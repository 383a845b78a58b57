import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Each caller's rate-limit window, so that every API process on one PostgreSQL counts into the
 * same one (issue 10, item 5). Made on SQLite too, to keep one migration set, but unused there:
 * its one process counts in memory. Frozen: later changes go in new migrations. Imports no app
 * code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('rate_limits')
    .addColumn('caller', 'text', (c) => c.primaryKey())
    // A timestamp, not the ISO text of the other tables: windows are opened and closed by the
    // database's now(), compared in SQL on every request.
    .addColumn('window_start', pg ? 'timestamptz' : 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    // Unlogged on PostgreSQL: every request writes a row, and counts need no write-ahead log. The
    // upsert took 3–4 ms on a logged table, its commit waiting for the WAL to reach the disk, and
    // 0.3–1 ms unlogged (PostgreSQL 15, one connection, a loaded 2-core machine). A crash empties
    // the table, which only opens every caller's window afresh, as a restart of an in-memory
    // limiter did; a standby has none of it, so after a failover counting starts again.
    .$call((table) => (pg ? table.modifyFront(sql`unlogged`) : table))
    .execute();
  // No index on window_start: it would cost every request's update an index write (and PostgreSQL's
  // in-place HOT updates), to speed up a sweep that runs once a window over one row per recent caller.
}
