/**
 * The few things SQLite and PostgreSQL do differently, in one place. Queries stay the same on
 * both; code that must tell the two apart asks here.
 */

/** A unique index refused the row (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
