import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  createQueryId,
  DEFAULT_MIGRATION_TABLE,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type Compilable,
  type CompiledQuery,
  type SqliteDatabase,
  type Transaction,
} from 'kysely';
import type { Config } from '../config.js';
import { ApiKeyHasher } from '../domain/apiKeys.js';
import type { DB } from './schema.js';
import { WalCheckpoints } from './walCheckpoints.js';

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

/**
 * A query every request makes (finding the caller by key, a job by id), built and compiled once
 * per database and then run with its values put in: building and compiling a one-row select took
 * 7–9 µs of its 11 µs on SQLite. `build` is called once, with stand-ins for its scalar arguments,
 * so it must pass each of them to the query as a value, unchanged, and branch on none of them.
 */
export function compiledOnce<A extends (string | number)[], R>(
  build: (db: Db, ...args: A) => Compilable<R>,
): (db: Db, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Db, { query: CompiledQuery<R>; slots: number[] }>();
  return async (db, ...args) => {
    let entry = compiled.get(db);
    if (!entry) {
      const standIns = Array.from({ length: build.length - 1 }, (_, i) => `\u0000argument ${i}\u0000`);
      const query = build(db, ...(standIns as A)).compile();
      entry = { query, slots: query.parameters.map((p) => standIns.indexOf(p as string)) };
      compiled.set(db, entry);
    }
    const { query, slots } = entry;
    const parameters = query.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    return (await db.executeQuery<R>({ ...query, queryId: createQueryId(), parameters })).rows;
  };
}

/** The SQLite database file in a data directory. */
export function sqliteFile(dataDir: string): string {
  return path.join(dataDir, 'elnport.sqlite');
}

/**
 * Each connection's page cache, in KiB (SQLite's unit when negative). better-sqlite3's default is
 * 16 MB, which an export fills on the server's connection and on each thread's as it reads a
 * large database, so the process's peak grew with the export: 20,000 documents peaked 25–40 MB
 * above 1,000. The pages still come from the system's file cache, and 2 MB left the export's CPU
 * time as it was (seq and par, 5,000 and 20,000 documents).
 */
const pageCacheKiB = 2048;

function openSqlite(dataDir: string): SQLite.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const database = new SQLite(sqliteFile(dataDir));
  // WAL lets readers (downloads, polls) go on while a writer commits.
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  database.pragma(`cache_size = -${pageCacheKiB}`);
  // SQLite's own lower() folds ASCII only; searches and name order must treat "Über" as "über", as PostgreSQL does.
  database.function('lower', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
  return database;
}

/**
 * A read-only connection of its own to the embedded database's file, for a worker thread that
 * reads beside the server's connection (WAL lets readers go on while it writes). The file must
 * already be the server's: nothing is created or migrated. It serves an export's reads, which
 * order by id, so it lacks the Unicode lower() that the server's searches and name order need.
 */
export function openSqliteReader(file: string): Kysely<DB> {
  const database = new SQLite(file, { readonly: true, fileMustExist: true });
  database.pragma('busy_timeout = 5000');
  database.pragma(`cache_size = -${pageCacheKiB}`);
  return new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
}

/** pg is loaded only to talk to PostgreSQL: an embedded-database server never needs its 3 MB. */
async function loadPg(): Promise<typeof import('pg').default> {
  return (await import('pg')).default;
}

async function postgresDialect(connectionString: string): Promise<PostgresDialect> {
  const pg = await loadPg();
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
export async function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'apiKeySecret'>,
  options: { checkpointsOnThread?: boolean } = {},
): Promise<Store> {
  // Loaded here, not with the module: an export's thread imports this one for openSqliteReader
  // and needs neither the migrations nor the key store.
  const [{ migrateToLatest }, { apiKeySecret, upgradeApiKeyHashes }] = await Promise.all([import('./migrate.js'), import('./apiKeys.js')]);
  const apiKeys = new ApiKeyHasher(apiKeySecret(config));
  const dialect = config.databaseUrl ? 'postgres' : 'sqlite';
  const sqlite = config.databaseUrl ? undefined : openSqlite(config.dataDir);
  const db = new Kysely<DB>({
    dialect: sqlite ? new SqliteDialect({ database: withStatementCache(sqlite) }) : await postgresDialect(config.databaseUrl!),
  });
  try {
    await migrateToLatest(db);
    await db.transaction().execute((trx) => upgradeApiKeyHashes(trx, apiKeys));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // A server's connection lives long and writes under load; a command's is brief, and SQLite's
  // own checkpoints serve it.
  const checkpoints = sqlite && options.checkpointsOnThread ? WalCheckpoints.start(sqlite, sqliteFile(config.dataDir)) : undefined;
  return {
    db,
    dialect,
    apiKeys,
    async close() {
      await checkpoints?.stop();
      await db.destroy();
    },
  };
}

/**
 * Whether the configured database already exists, found without creating anything (openStore
 * would make an empty one): the SQLite file, or on PostgreSQL the table our migrations are
 * recorded in.
 */
export async function storeExists(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<boolean> {
  if (!config.databaseUrl) return fs.existsSync(sqliteFile(config.dataDir));
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: boolean }>('select to_regclass($1::text) is not null as found', [DEFAULT_MIGRATION_TABLE]);
    return rows[0]?.found === true;
  } finally {
    await client.end();
  }
}
