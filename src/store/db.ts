import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { DEFAULT_MIGRATION_TABLE, Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, type Transaction } from 'kysely';
import type { Config } from '../config.js';
import { ApiKeyHasher } from '../domain/apiKeys.js';
import type { DB } from './schema.js';
import { migrateToLatest } from './migrate.js';
import { apiKeySecret, upgradeApiKeyHashes } from './apiKeys.js';

/** Queries take either the database or a transaction, so the caller decides the transaction. */
export type Db = Kysely<DB> | Transaction<DB>;

export interface Store {
  readonly db: Kysely<DB>;
  readonly dialect: 'sqlite' | 'postgres';
  /** How API keys are stored in this store, under the server's secret. */
  readonly apiKeys: ApiKeyHasher;
  close(): Promise<void>;
}

const int8Oid = 20;

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely prepares on every query; an export
 * runs the same few queries for page after page, so compiled statements are kept (least recently
 * used go first). Kysely only calls all() and run() on them, which finish before returning, so
 * one statement is never in use twice at once.
 */
function withStatementCache(database: SQLite.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/** The SQLite database file in a data directory. */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'elnport.sqlite');
}

function sqliteDialect(dataDir: string): SqliteDialect {
  fs.mkdirSync(dataDir, { recursive: true });
  const database = new SQLite(sqliteFile(dataDir));
  // WAL lets readers (downloads, polls) go on while a writer commits.
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // SQLite's own lower() folds ASCII only; searches and name order must treat "Über" as "über", as PostgreSQL does.
  database.function('lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  return new SqliteDialect({ database: withStatementCache(database) });
}

function postgresDialect(connectionString: string): PostgresDialect {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    // bigint columns (sizes, counts) come back as numbers; every value we store is < 2^53.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8Oid ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (a restart, an administrator) must not crash the process:
  // the pool replaces it on the next query.
  pool.on('error', () => undefined);
  return new PostgresDialect({ pool });
}

/**
 * Opens the database, brings its schema up to date, and stores every key left by an earlier
 * version in the current form. Every process that opens the store (the server, the admin
 * commands) does all of it, so none ever works on keys of the old form.
 */
export async function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'apiKeySecret'>): Promise<Store> {
  const apiKeys = new ApiKeyHasher(apiKeySecret(config));
  const dialect = config.databaseUrl ? 'postgres' : 'sqlite';
  const db = new Kysely<DB>({
    dialect: config.databaseUrl ? postgresDialect(config.databaseUrl) : sqliteDialect(config.dataDir),
  });
  try {
    await migrateToLatest(db);
    await db.transaction().execute((trx) => upgradeApiKeyHashes(trx, apiKeys));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, dialect, apiKeys, close: () => db.destroy() };
}

/**
 * Whether the configured database already exists, found without creating anything (openStore
 * would make an empty one): the SQLite file, or on PostgreSQL the table our migrations are
 * recorded in.
 */
export async function storeExists(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<boolean> {
  if (!config.databaseUrl) return fs.existsSync(sqliteFile(config.dataDir));
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: boolean }>('select to_regclass($1::text) is not null as found', [DEFAULT_MIGRATION_TABLE]);
    return rows[0]?.found === true;
  } finally {
    await client.end();
  }
}
