import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { ElnportError } from '../domain/errors.js';
import * as content from './migrations/2026-11-26-01-content.js';
import * as exportJobs from './migrations/2026-11-26-02-export-jobs.js';
import * as fieldText from './migrations/2026-11-26-03-field-text.js';
import * as sanitiserVersion from './migrations/2026-12-02-01-sanitiser-version.js';
import * as exportPlan from './migrations/2026-12-03-01-export-plan.js';
import * as rateLimits from './migrations/2026-12-07-01-rate-limits.js';
import * as crateEntities from './migrations/2026-12-08-01-crate-entities.js';
import * as imports from './migrations/2026-12-08-02-imports.js';
import * as comments from './migrations/2026-12-08-03-comments.js';
import * as importBlobs from './migrations/2026-12-08-04-import-blobs.js';
import * as sessions from './migrations/2026-12-09-01-sessions.js';
import * as notices from './migrations/2026-12-09-02-notices.js';

/** Every migration, in order. A name, once released, never changes. */
const migrations: Record<string, Migration> = {
  '2026-11-26-01-content': content,
  '2026-11-26-02-export-jobs': exportJobs,
  '2026-11-26-03-field-text': fieldText,
  '2026-12-02-01-sanitiser-version': sanitiserVersion,
  '2026-12-03-01-export-plan': exportPlan,
  '2026-12-07-01-rate-limits': rateLimits,
  '2026-12-08-01-crate-entities': crateEntities,
  '2026-12-08-02-imports': imports,
  '2026-12-08-03-comments': comments,
  '2026-12-08-04-import-blobs': importBlobs,
  '2026-12-09-01-sessions': sessions,
  '2026-12-09-02-notices': notices,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the database up to this code's schema. Kysely refuses a database that has run a
 * migration this code does not know, which is what we want: never start against a newer schema.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    const message = failed
      ? `Database migration ${failed} failed`
      : 'The database was written by a newer elnport (or its migrations differ); refusing to start';
    throw new ElnportError(500, 50001, `${message}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
