import { sql, type Kysely } from 'kysely';

/**
 * Sign-in sessions for the exports page (issue 12), kept in the database so that they outlive a
 * restart and every API process knows them. The cookie's token is stored only as its SHA-256: a
 * copy of the database lets no one take over a session. Rate-limit windows gain their own
 * length, as sign-in attempts are counted over minutes while requests are counted over seconds,
 * and a sweep must not end one kind's windows by the other's length. Frozen: later changes go in
 * new migrations. Imports no app code.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addColumn('expires', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires').execute();
  // The windows counted so far were the request limit's, whose default length is a minute.
  await db.schema.alterTable('rate_limits').addColumn('window_ms', 'integer', (c) => c.notNull().defaultTo(sql`60000`)).execute();
}
