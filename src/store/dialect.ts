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
