import type { Kysely } from 'kysely';

/**
 * Each field records the version of the sanitiser that cleaned its content, so an export
 * re-sanitises only what older rules cleaned. Content stored before this was cleaned by rules
 * nobody recorded: 'unknown', which matches no version. Kept versions (document_versions) hold
 * their fields as JSON; one without the key reads as 'unknown' too, so they are not rewritten.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('fields').addColumn('sanitiser_version', 'text', (c) => c.notNull().defaultTo('unknown')).execute();
}
