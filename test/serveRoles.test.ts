import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { checkZip, downloadArchive, waitForJob } from './support/archives.js';
import { jsonCaller, type Call } from './support/http.js';
import { postgresSkip, storedBy } from './support/lab.js';
import { createPostgresDatabase, freePort, killAllServers, labLike, serve, type ServerProcess } from './support/process.js';
import { ensurePageBuilt } from './support/webPage.js';

/**
 * `elnport serve --role api|worker|all` (issue 10, item 1). On SQLite only `all` may run: the
 * embedded database belongs to one process. On PostgreSQL an `api` process and `worker`
 * processes share one database and one data directory, and meet only in the jobs table.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sysadminKey = 'roles_test_sysadmin_key_0123';
/** Jobs are polled every 50–100 ms, far beyond the default rate limit. */
const rateLimit = { ELNPORT_RATE_LIMIT: '1000000' };
const cleanups: (() => Promise<void> | void)[] = [];

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-roles-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `elnport serve …` expected to stop by itself; gives up (and fails) if it is still running after 60 s. */
async function serveUntilExit(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}

async function createUser(call: Call, username: string): Promise<string> {
  const r = await call('POST', '/sysadmin/users', {
    body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
  });
  assert.equal(r.status, 201, r.text);
  return r.body.apiKey;
}

async function addDocuments(call: Call, key: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await call('POST', '/documents', { key, body: { name: `Entry ${i}`, fields: [{ content: `<p>Measurement ${i}</p>` }] } });
    assert.equal(r.status, 201, r.text);
  }
}

async function health(port: number): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: r.status, body: await r.json() };
}

describe('the role in the configuration', () => {
  const postgres = { ELNPORT_DATA_DIR: '/tmp/unused', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };

  it('is all unless told, from ELNPORT_ROLE or (winning) the command line, and a worker answers on ELNPORT_HEALTH_PORT', () => {
    assert.equal(loadConfig({ ELNPORT_DATA_DIR: '/tmp/unused' }).role, 'all');
    assert.equal(loadConfig({ ...postgres, ELNPORT_ROLE: 'worker' }).role, 'worker');
    assert.equal(loadConfig({ ...postgres, ELNPORT_ROLE: 'worker' }, { role: 'api' }).role, 'api');
    assert.equal(loadConfig(postgres).healthPort, 8081);
    assert.equal(loadConfig({ ...postgres, ELNPORT_HEALTH_PORT: '9100' }).healthPort, 9100);
    assert.throws(() => loadConfig({ ...postgres, ELNPORT_HEALTH_PORT: 'x' }), /ELNPORT_HEALTH_PORT must be a whole number/);
    assert.throws(() => loadConfig({ ...postgres }, { role: 'API' }), /must be one of api, worker, all, got "API"/);
  });
});

describe('serve --role on SQLite', () => {
  after(async () => {
    await killAllServers();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  for (const [how, args, env] of [
    ['--role api', ['--role', 'api'], {}],
    ['--role worker', ['--role', 'worker'], {}],
    ['ELNPORT_ROLE=worker', [], { ELNPORT_ROLE: 'worker' }],
    ['--role api over ELNPORT_ROLE=all (the flag wins)', ['--role', 'api'], { ELNPORT_ROLE: 'all' }],
  ] as const) {
    it(`refuses ${how}, saying why, with a non-zero exit code, and creates no database`, { timeout: 90_000 }, async () => {
      const dir = dataDir();
      const outcome = await serveUntilExit([...args], { ELNPORT_DATA_DIR: dir, PORT: String(await freePort()), ...env });
      assert.equal(outcome.code, 1, outcome.stderr);
      assert.match(outcome.stderr, /the role "(api|worker)" needs PostgreSQL: the embedded SQLite database belongs to one process/);
      assert.match(outcome.stderr, /Set DATABASE_URL to run api and worker processes apart/);
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing is opened before the role is checked');
    });
  }

  it('refuses a role that does not exist', { timeout: 90_000 }, async () => {
    const outcome = await serveUntilExit(['--role', 'both'], { ELNPORT_DATA_DIR: dataDir(), PORT: String(await freePort()) });
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, /must be one of api, worker, all, got "both"/);
  });

  for (const [how, args, env] of [
    ['with no flag', [], {}],
    ['with --role all', ['--role', 'all'], {}],
    ['with --role all over ELNPORT_ROLE=worker (the flag wins)', ['--role', 'all'], { ELNPORT_ROLE: 'worker' }],
  ] as const) {
    it(`starts ${how}, and the one process serves the API and runs the export`, { timeout: 120_000 }, async () => {
      const port = await freePort();
      const server = await serve({ dataDir: dataDir(), port, sysadminKey, args: [...args], env: { ...rateLimit, ...env } });
      const call = jsonCaller(server.url, sysadminKey);
      const key = await createUser(call, 'solo');
      await addDocuments(call, key, 2);
      const start = await call('POST', '/export/html/user', { key });
      assert.equal(start.status, 202, start.text);
      const job = await waitForJob(labLike(server.url, call), key, start.body.id);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      checkZip(await downloadArchive(labLike(server.url, call), key, job));
      await server.kill('SIGTERM');
      assert.equal(server.child.exitCode, 0, server.output());
    });
  }
});

describe('serve --role api and --role worker on PostgreSQL', { skip: postgresSkip }, () => {
  let dir: string;
  let databaseUrl: string;
  let api: ServerProcess;
  let call: Call;
  let apiPort: number;
  /** The owner of a dozen 15 MB files, whose exports take long enough to be caught in the middle. */
  let bigKey: string;

  /** The job's row as the database holds it: who ran it and how often. */
  async function jobRow(id: number): Promise<{ status: string; attempts: number; worker_id: string | null }> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query('select status, attempts, worker_id from export_jobs where id = $1', [id])).rows[0];
    } finally {
      await client.end();
    }
  }

  /** A worker over the same database and data directory; PORT is set, so that serving nothing there is seen. */
  async function startWorker(): Promise<{ server: ServerProcess; port: number; healthPort: number }> {
    const port = await freePort();
    const healthPort = await freePort();
    const server = await serve({
      dataDir: dir,
      port,
      sysadminKey,
      args: ['--role', 'worker'],
      env: { DATABASE_URL: databaseUrl, ELNPORT_HEALTH_PORT: String(healthPort) },
      readyUrl: `http://127.0.0.1:${healthPort}/health`,
    });
    return { server, port, healthPort };
  }

  /** Polls the api until the job is STARTED with some progress; fails if it ended first. */
  async function untilBuilding(key: string, id: number): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await call('GET', `/jobs/${id}`, { key });
      assert.ok(['STARTING', 'STARTED'].includes(r.body.status), `the export must still be running to be interrupted: ${r.text}`);
      if (r.body.status === 'STARTED' && r.body.percentComplete > 0) return;
      assert.ok(Date.now() < deadline, 'the export never started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  before(async () => {
    dir = dataDir();
    const db = await createPostgresDatabase(process.env.DATABASE_URL!);
    cleanups.push(() => db.drop());
    databaseUrl = db.url;
    apiPort = await freePort();
    api = await serve({ dataDir: dir, port: apiPort, sysadminKey, args: ['--role', 'api'], env: { ...rateLimit, DATABASE_URL: databaseUrl } });
    call = jsonCaller(api.url, sysadminKey);
  });

  after(async () => {
    await killAllServers();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('the api alone queues an export and leaves it STARTING: it runs no workers; a worker then builds it, and the api serves the archive', { timeout: 180_000 }, async () => {
    const key = await createUser(call, 'queued');
    await addDocuments(call, key, 5);
    const start = await call('POST', '/export/xml/user', { key });
    assert.equal(start.status, 202, start.text);
    // Workers look every second (jobTimings.pollIntervalMs): three seconds is three chances.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const waiting = await call('GET', `/jobs/${start.body.id}`, { key });
    assert.equal(waiting.body.status, 'STARTING', waiting.text);
    assert.deepEqual(await jobRow(start.body.id), { status: 'STARTING', attempts: 0, worker_id: null });

    const worker = await startWorker();
    const workerId = (await health(worker.healthPort)).body.workerId;
    const job = await waitForJob(labLike(api.url, call), key, start.body.id, 120_000);
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    assert.equal(job.result.documentsExported, 5);
    assert.deepEqual(await jobRow(start.body.id), { status: 'COMPLETED', attempts: 1, worker_id: workerId }, 'built by the worker');
    const file = await downloadArchive(labLike(api.url, call), key, job);
    checkZip(file);
    await worker.server.kill('SIGTERM');
    assert.equal(worker.server.child.exitCode, 0, worker.server.output());
  });

  it('a worker serves no API on the public port, only GET /health on its own', { timeout: 120_000 }, async () => {
    const worker = await startWorker();
    await assert.rejects(fetch(`http://127.0.0.1:${worker.port}/api/v1/status`), 'nothing listens on PORT');
    const answer = await health(worker.healthPort);
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.body).sort(), ['role', 'runningJobs', 'status', 'version', 'workerId']);
    assert.equal(answer.body.status, 'ok');
    assert.equal(answer.body.role, 'worker');
    assert.match(answer.body.workerId, /^\d+-[0-9a-f]{8}$/);
    assert.equal(answer.body.workerId.split('-')[0], String(worker.server.child.pid));
    assert.equal(answer.body.runningJobs, 0);
    const api = await fetch(`http://127.0.0.1:${worker.healthPort}/api/v1/status`);
    assert.equal(api.status, 404, 'the health port serves no API either');
    assert.equal(((await api.json()) as { httpCode: number }).httpCode, 404, 'in the contract error shape');
    assert.equal((await fetch(`http://127.0.0.1:${worker.healthPort}/`)).status, 404, 'nor the exports page');
    ensurePageBuilt();
    const page = await fetch(`http://127.0.0.1:${apiPort}/`);
    assert.equal(page.status, 200, `which the api serves: ${await page.text()}`);
    await worker.server.kill('SIGTERM');
  });

  it('SIGTERM of a worker mid-export hands the job back (STARTING, the attempt not counted), and a second worker finishes it', { timeout: 400_000 }, async () => {
    const key = await createUser(call, 'bigexporter');
    // Incompressible files make an export long enough to be caught in the middle.
    bigKey = key;
    for (let i = 0; i < 12; i++) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(randomBytes(15 * 1024 * 1024))]), `raw-${i}.bin`);
      const r = await fetch(`${api.url}/api/v1/files`, { method: 'POST', headers: { apiKey: key }, body: form });
      assert.equal(r.status, 201, await r.text());
    }
    await addDocuments(call, key, 3);
    const first = await startWorker();
    const firstId = (await health(first.healthPort)).body.workerId;
    const start = await call('POST', '/export/xml/user', { key });
    assert.equal(start.status, 202, start.text);
    const id: number = start.body.id;
    await untilBuilding(key, id);
    assert.equal((await health(first.healthPort)).body.runningJobs, 1, 'the worker reports the job it builds');
    assert.equal((await jobRow(id)).worker_id, firstId);

    await first.server.kill('SIGTERM');
    assert.equal(first.server.child.exitCode, 0, first.server.output());
    assert.deepEqual(await jobRow(id), { status: 'STARTING', attempts: 0, worker_id: null });
    const waiting = await call('GET', `/jobs/${id}`, { key });
    assert.equal(waiting.body.status, 'STARTING', 'the api reads the job row');

    const second = await startWorker();
    const secondId = (await health(second.healthPort)).body.workerId;
    const job = await waitForJob(labLike(api.url, call), key, id, 300_000);
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
    assert.deepEqual(await jobRow(id), { status: 'COMPLETED', attempts: 1, worker_id: secondId });
    checkZip(await downloadArchive(labLike(api.url, call), key, job));
    await second.server.kill('SIGTERM');
  });

  it('the api cancels an export a worker is building: ABANDONED, and the worker stops it within a heartbeat', { timeout: 180_000 }, async () => {
    assert.ok(bigKey, 'runs after the SIGTERM test, which makes the files');
    const worker = await startWorker();
    const start = await call('POST', '/export/html/user', { key: bigKey });
    assert.equal(start.status, 202, start.text);
    await untilBuilding(bigKey, start.body.id);
    const cancelled = await call('DELETE', `/jobs/${start.body.id}`, { key: bigKey });
    assert.equal(cancelled.status, 204, cancelled.text);
    assert.equal((await jobRow(start.body.id)).status, 'ABANDONED');
    // The worker learns of it from its next heartbeat (jobTimings.heartbeatMs, 2 s).
    const deadline = Date.now() + 10_000;
    while ((await health(worker.healthPort)).body.runningJobs !== 0) {
      assert.ok(Date.now() < deadline, 'the worker still builds a cancelled export');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ended = await call('GET', `/jobs/${start.body.id}`, { key: bigKey });
    assert.equal(ended.body.status, 'ABANDONED', ended.text);
    assert.equal((await storedBy('postgres', dir)).archives.length, 2, 'no archive for the cancelled job');
    await worker.server.kill('SIGTERM');
  });
});
