import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { Sweeper } from '../../src/jobs/sweeper.js';
import { startServer, type Server } from '../../src/server.js';
import { jsonCaller, type Answer, type Call } from './http.js';
import { sharedFakeS3 } from './s3rver.js';

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

/**
 * ELNPORT_TEST_BLOBS=s3 makes the suite's second pass (`npm run test:s3`): the PostgreSQL runs again,
 * attachments and archives in S3 (one s3rver per test process, a prefix for each lab), and the
 * SQLite runs skipped, as they ran in the main pass.
 */
const testBlobs = process.env.ELNPORT_TEST_BLOBS || 'local';
if (testBlobs !== 'local' && testBlobs !== 's3') throw new Error(`ELNPORT_TEST_BLOBS must be local or s3, got "${testBlobs}"`);
if (testBlobs === 's3' && !postgresUrl) throw new Error('ELNPORT_TEST_BLOBS=s3 runs the PostgreSQL suites on S3: set DATABASE_URL too');
const s3Pass = testBlobs === 's3';

export function forEachDatabase(suite: (kind: DatabaseKind) => void): void {
  describe('on SQLite', { skip: s3Pass && 'ELNPORT_TEST_BLOBS=s3: the S3 pass runs only the PostgreSQL suites, SQLite ran in the main pass' }, () =>
    suite('sqlite'),
  );
  describe('on PostgreSQL', { skip: postgresSkip }, () => suite('postgres'));
}

/**
 * The skip for a test that can only mean the local store (it makes or dates files in the data
 * directory): in the S3 pass blobs and archives are in the bucket. It runs in the main pass.
 */
export function localBlobsOnly(kind: DatabaseKind): string | false {
  return usesS3(kind) && 'the S3 pass keeps blobs and archives in s3rver, and this works on the local ones (it ran in the main pass)';
}

function usesS3(kind: DatabaseKind): boolean {
  return s3Pass && kind === 'postgres';
}

/** What a server's stores hold: blob keys (with, locally, any upload under way in tmp/), finished archives, drafts. */
export interface Stored {
  blobs: string[];
  archives: string[];
  drafts: string[];
}

/**
 * What the stores of a server over `dataDir` hold, wherever labBlobsEnv has it keep them: the data
 * directory's blobs/ and archives/ (drafts in archives/tmp/), or the bucket's <prefix>blobs/,
 * <prefix>archives/ and <prefix>drafts/. For tests of what a request or an export leaves behind.
 */
export async function storedBy(kind: DatabaseKind, dataDir: string): Promise<Stored> {
  if (usesS3(kind)) {
    const s3 = await sharedFakeS3();
    const prefix = `${path.basename(dataDir)}/`;
    return { blobs: await s3.keys(`${prefix}blobs/`), archives: await s3.keys(`${prefix}archives/`), drafts: await s3.keys(`${prefix}drafts/`) };
  }
  const files = (dir: string) =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
          .sort()
      : [];
  const archives = path.join(dataDir, 'archives');
  return { blobs: files(path.join(dataDir, 'blobs')), archives: files(archives).filter((name) => !name.startsWith('tmp/')), drafts: files(path.join(archives, 'tmp')) };
}

/**
 * What a server over `dataDir` is configured with for its blobs: nothing (the local directory)
 * unless this is the S3 pass and the database PostgreSQL. The prefix is the data directory's name, so
 * that each lab has its own and a server restarted over the same directory finds its blobs again.
 */
export async function labBlobsEnv(kind: DatabaseKind, dataDir: string): Promise<Record<string, string>> {
  return usesS3(kind) ? (await sharedFakeS3()).env(`${path.basename(dataDir)}/`) : {};
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
  /** What the lab's blob and archive stores hold (storedBy). */
  stored(): Promise<Stored>;
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
    ...(await labBlobsEnv(kind, dataDir)),
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
    stored: () => storedBy(kind, dataDir),
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

/** One sweeper pass over the lab's stores, now, as the server's own would run it: for tests of what a sweep removes. */
export async function sweepOnce(lab: Lab): Promise<void> {
  const { store, blobs, archives, app } = lab.server;
  await new Sweeper({ db: store.db, dialect: store.dialect, blobs, archives, config: loadConfig({ ELNPORT_DATA_DIR: lab.dataDir }), log: app.log }, () => undefined).sweep();
}
