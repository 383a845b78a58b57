import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/server.js';
import { jsonCaller, type Answer, type Call } from './http.js';

export type { Answer } from './http.js';

/**
 * Every test file runs its suite once per database: SQLite always, PostgreSQL when
 * DATABASE_URL names one (CI sets it). Each run gets its own data directory and, on PostgreSQL,
 * its own freshly created database, dropped afterwards.
 */
export type DatabaseKind = 'sqlite' | 'postgres';

const postgresUrl = process.env.DATABASE_URL;
export const postgresSkip = postgresUrl
  ? false
  : 'DATABASE_URL is not set: PostgreSQL runs skipped (.ci/run sets it to the local server)';

export function forEachDatabase(suite: (kind: DatabaseKind) => void): void {
  describe('on SQLite', () => suite('sqlite'));
  describe('on PostgreSQL', { skip: postgresSkip }, () => suite('postgres'));
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const sysadminKey = 'test_sysadmin_key_0123456789';

export interface Account {
  id: number;
  username: string;
  key: string;
  homeFolderId: number;
}

export interface Lab {
  url: string;
  dataDir: string;
  server: Server;
  kind: DatabaseKind;
  call: Call;
  createUser(username: string, role?: string): Promise<Account>;
  createGroup(displayName: string, members: { username: string; roleInGroup: string; viewAll?: boolean }[], type?: string): Promise<any>;
  /**
   * Stops the server and starts it again on the same database, `env` added to the lab's. It listens
   * on a new port, so no client reuses a connection the old server closed: `url` and `call` follow.
   */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export async function startLab(kind: DatabaseKind, env: Record<string, string> = {}): Promise<Lab> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-test-'));
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (kind === 'postgres') {
    dbName = `elnport_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${dbName}`);
    const url = new URL(postgresUrl!);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  const labEnv = {
    ELNPORT_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    ELNPORT_SYSADMIN_API_KEY: sysadminKey,
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  };
  const { ensureFirstSysadmin } = await import('../../src/content/users.js');
  let server = await startServer(loadConfig(labEnv));
  await ensureFirstSysadmin(server.store.db, server.store.apiKeys, sysadminKey);

  let call = jsonCaller(server.url, sysadminKey);

  return {
    get url() {
      return server.url;
    },
    dataDir,
    get server() {
      return server;
    },
    kind,
    get call() {
      return call;
    },
    async createUser(username, role = 'ROLE_USER') {
      const r = await call('POST', '/sysadmin/users', {
        body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role },
      });
      if (r.status !== 201) throw new Error(`createUser ${username}: ${r.status} ${r.text}`);
      return { id: r.body.id, username, key: r.body.apiKey, homeFolderId: r.body.homeFolderId };
    },
    async createGroup(displayName, members, type = 'LAB_GROUP') {
      const r = await call('POST', '/sysadmin/groups', { body: { displayName, type, members } });
      if (r.status !== 201) throw new Error(`createGroup ${displayName}: ${r.status} ${r.text}`);
      return r.body;
    },
    async restart(more = {}) {
      await server.close();
      server = await startServer(loadConfig({ ...labEnv, ...more }));
      call = jsonCaller(server.url, sysadminKey);
    },
    async close() {
      await server.close();
      if (dbName) await adminQuery(`drop database if exists ${dbName} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a lab before the enclosing suite's tests and closes it after them. */
export function useLab(kind: DatabaseKind, env: Record<string, string> = {}): () => Lab {
  let lab: Lab | undefined;
  before(async () => {
    lab = await startLab(kind, env);
  });
  after(async () => {
    await lab?.close();
  });
  return () => {
    if (!lab) throw new Error('the lab has not started');
    return lab;
  };
}

/** The contract's dates: ISO-8601 UTC with milliseconds. */
export const isoDate = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** alice and bob, and pat, the PI of a lab group alice belongs to: the cast of the content tests. */
export async function createCast(lab: Lab): Promise<{ alice: Account; bob: Account; pi: Account }> {
  const alice = await lab.createUser('alice');
  const bob = await lab.createUser('bob');
  const pi = await lab.createUser('pat', 'ROLE_PI');
  await lab.createGroup('Pat lab', [
    { username: 'pat', roleInGroup: 'PI' },
    { username: 'alice', roleInGroup: 'DEFAULT' },
  ]);
  return { alice, bob, pi };
}

/** Calls made as one user, for tests that switch between users often. */
export function actingAs(lab: () => Lab, who: Account) {
  return {
    get: (path: string) => lab().call('GET', path, { key: who.key }),
    post: (path: string, body: unknown) => lab().call('POST', path, { key: who.key, body }),
    put: (path: string, body: unknown) => lab().call('PUT', path, { key: who.key, body }),
    del: (path: string) => lab().call('DELETE', path, { key: who.key }),
  };
}

/** Asserts the contract's error shape and returns the body. */
export function expectError(answer: Answer, httpCode: number, internalCode: number): any {
  const body = answer.body;
  const problems: string[] = [];
  if (answer.status !== httpCode) problems.push(`status ${answer.status} != ${httpCode}`);
  if (!body || typeof body !== 'object') problems.push('body is not JSON');
  else {
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'data,errors,httpCode,internalCode,iso8601Timestamp,message,messageCode,status') problems.push(`keys ${keys}`);
    if (body.httpCode !== httpCode) problems.push(`httpCode ${body.httpCode}`);
    if (body.internalCode !== internalCode) problems.push(`internalCode ${body.internalCode} != ${internalCode}`);
    if (!isoDate.test(body.iso8601Timestamp)) problems.push('timestamp');
    if (!Array.isArray(body.errors) || body.errors.length === 0) problems.push('errors');
    if (/\n\s+at /.test(answer.text)) problems.push('stack trace in body');
  }
  if (problems.length) throw new Error(`Not the expected error ${httpCode}/${internalCode}: ${problems.join('; ')}\n${answer.text}`);
  return body;
}
