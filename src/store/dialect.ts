import { sql, type RawBuilder } from 'kysely';

/**
 * The few things SQLite and PostgreSQL do differently, in one place. Queries stay the same on
 * both; code that must tell the two apart asks here.
 */

/** Every id column is a 32-bit integer on PostgreSQL: a bigger id names nothing, and asking for it fails. */
const maxStoredId = 2_147_483_647;

export function isStorableId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 1 && id <= maxStoredId;
}

/** A unique index refused the row (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * The database's own clock, `offsetMs` from now, as the ISO-8601 UTC text (milliseconds) every
 * date column holds. Heartbeats are written and judged by it: on PostgreSQL a worker's machine
 * and the one that decides it is dead may disagree about the time, but never the database.
 */
export function databaseClock(dialect: 'sqlite' | 'postgres', offsetMs = 0): RawBuilder<string> {
  const seconds = offsetMs / 1000;
  return dialect === 'sqlite'
    ? sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${seconds} seconds`})`
    : sql<string>`to_char((clock_timestamp() + make_interval(secs => ${seconds})) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
