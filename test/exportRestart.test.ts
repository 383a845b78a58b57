import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { draftJobId } from '../src/blobs/archiveStore.js';
import { expectError, forEachDatabase, storedBy, type DatabaseKind } from './support/lab.js';
import { checkZip, downloadArchive, entries, waitForJob } from './support/archives.js';
import { createPostgresDatabase, freePort, killAllServers, labLike, serve, type ServerProcess } from './support/process.js';
import { jsonCaller, type Call } from './support/http.js';

/**
 * CONTRACT.md "Retention and restarts": a job running when the server dies is built again from
 * the start when the server comes back, up to a few attempts, then FAILED; it never leaves its
 * owner blocked with 429. The real server runs as a child process and is killed with SIGKILL.
 *
 * On PostgreSQL (when DATABASE_URL is set) a STARTED job is only taken for dead once its
 * heartbeat is 15 s old (other processes may share the database), so that run takes longer.
 * A graceful stop (SIGTERM) gives running jobs back without spending one of their attempts.
 */

const sysadminKey = 'restart_test_sysadmin_key_0123';
/** Polling every 50 ms is far beyond the default rate limit of 600 calls a minute. */
const env = { ELNPORT_RATE_LIMIT: '1000000' };
const fileCount = 20;
const fileBytes = 15 * 1024 * 1024;
const documentCount = 300;
const terminal = ['COMPLETED', 'FAILED', 'ABANDONED'];

/** A job as GET /jobs/{id} answers it. */
type Job = Awaited<ReturnType<typeof waitForJob>>;

interface Site {
  kind: DatabaseKind;
  dataDir: string;
  port: number;
  databaseUrl: string | null;
  server: ServerProcess | null;
  call: Call;
  start(extra?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  /** A job's row as the database holds it, read while the server is stopped. */
  jobRow(id: number): Promise<{ status: string; attempts: number }>;
  /** Changes a job's row directly in the database, as only a dead process could leave it. */
  setJob(id: number, values: { status: string; attempts: number; worker_id: string; heartbeat: string; started: string }): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

/** A data directory (and on PostgreSQL a database) of its own, served by a child process. */
async function newSite(kind: DatabaseKind): Promise<Site> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-restart-'));
  const db = kind === 'postgres' ? await createPostgresDatabase(process.env.DATABASE_URL!) : null;
  cleanups.push(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await db?.drop();
  });
  const port = await freePort();
  const site: Site = {
    kind,
    dataDir,
    port,
    databaseUrl: db?.url ?? null,
    server: null,
    call: jsonCaller(`http://127.0.0.1:${port}`, sysadminKey),
    async start(extra = {}) {
      assert.equal(site.server, null, 'the server is already running');
      site.server = await serve({ dataDir, port, sysadminKey, env: { ...env, ...(db ? { DATABASE_URL: db.url } : {}), ...extra } });
    },
    async stop() {
      await site.server?.kill('SIGKILL');
      site.server = null;
    },
    async jobRow(id) {
      assert.equal(site.server, null, 'stop the server first');
      if (db) {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          return (await client.query('select status, attempts from export_jobs where id = $1', [id])).rows[0];
        } finally {
          await client.end();
        }
      }
      const sqlite = new Database(path.join(dataDir, 'elnport.sqlite'), { readonly: true });
      try {
        return sqlite.prepare('select status, attempts from export_jobs where id = ?').get(id) as { status: string; attempts: number };
      } finally {
        sqlite.close();
      }
    },
    async setJob(id, values) {
      assert.equal(site.server, null, 'stop the server first');
      if (db) {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          const r = await client.query('update export_jobs set status = $1, attempts = $2, worker_id = $3, heartbeat = $4, started = $5 where id = $6', [
            values.status, values.attempts, values.worker_id, values.heartbeat, values.started, id,
          ]);
          assert.equal(r.rowCount, 1);
        } finally {
          await client.end();
        }
      } else {
        const sqlite = new Database(path.join(dataDir, 'elnport.sqlite'));
        try {
          const r = sqlite
            .prepare('update export_jobs set status = ?, attempts = ?, worker_id = ?, heartbeat = ?, started = ? where id = ?')
            .run(values.status, values.attempts, values.worker_id, values.heartbeat, values.started, id);
          assert.equal(r.changes, 1);
        } finally {
          sqlite.close();
        }
      }
    },
  };
  return site;
}

async function createUser(call: Call, username: string): Promise<{ id: number; key: string }> {
  const r = await call('POST', '/sysadmin/users', {
    body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
  });
  assert.equal(r.status, 201, r.text);
  return { id: r.body.id, key: r.body.apiKey };
}

async function upload(url: string, key: string, name: string, bytes: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), name);
  const r = await fetch(`${url}/api/v1/files`, { method: 'POST', headers: { apiKey: key }, body: form });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return (JSON.parse(text) as { id: number }).id;
}

/** Runs `work` over `items`, `width` at a time, keeping the results in order. */
async function inParallel<T, R>(items: T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!, i);
      }
    }),
  );
  return results;
}

/** Follows a job as a client would, across restarts: percentComplete must never go down. */
class Watcher {
  last = 0;
  constructor(
    private readonly site: Site,
    private readonly key: string,
    readonly jobId: number,
  ) {}

  async poll(): Promise<{ status: string; percentComplete: number; body: Job }> {
    const r = await this.site.call('GET', `/jobs/${this.jobId}`, { key: this.key });
    assert.equal(r.status, 200, r.text);
    const percent = r.body.percentComplete;
    assert.equal(typeof percent, 'number');
    assert.ok(percent >= this.last, `percentComplete went down: ${this.last} -> ${percent}`);
    this.last = percent;
    return { status: r.body.status, percentComplete: percent, body: r.body };
  }

  async until(done: (s: { status: string; percentComplete: number }) => boolean, timeoutMs: number, everyMs: number): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.poll();
      if (done(state)) return state.body;
      if (Date.now() > deadline) throw new Error(`job ${this.jobId} still ${state.status} at ${state.percentComplete}% after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

forEachDatabase((kind) => {
  describe('export jobs across a server crash', () => {
    after(async () => {
      await killAllServers();
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('rebuilds a job interrupted by SIGKILL from the start: COMPLETED, whole, every document, progress never going down', { timeout: 600_000 }, async (t) => {
      const began = Date.now();
      const site = await newSite(kind);
      await site.start();
      const url = site.server!.url;
      const owner = await createUser(site.call, 'bigexporter');

      const fileIds = await inParallel(Array.from({ length: fileCount }, (_, i) => i), 4, (i) =>
        upload(url, owner.key, `raw-data-${String(i).padStart(2, '0')}.bin`, randomBytes(fileBytes)),
      );
      const documentIds = await inParallel(Array.from({ length: documentCount }, (_, i) => i), 8, async (i) => {
        const file = i % 15 === 0 ? `<fileId=${fileIds[(i / 15) % fileCount]}>` : '';
        const r = await site.call('POST', '/documents', {
          key: owner.key,
          body: { name: `Entry ${String(i).padStart(3, '0')}`, tags: 'restart', fields: [{ content: `<p>Measurement ${i}</p>${file}` }] },
        });
        assert.equal(r.status, 201, r.text);
        return r.body.id as number;
      });

      t.diagnostic(`setup (server, ${fileCount} files of ${fileBytes >> 20} MB, ${documentCount} documents): ${((Date.now() - began) / 1000).toFixed(1)} s`);
      const start = await site.call('POST', '/export/xml/user', { key: owner.key });
      assert.equal(start.status, 202, start.text);
      const exportBegan = Date.now();
      const watcher = new Watcher(site, owner.key, start.body.id);
      const running = await watcher.until((s) => terminal.includes(s.status) || (s.status === 'STARTED' && s.percentComplete > 0), 120_000, 50);
      assert.equal(running.status, 'STARTED', `the export must still be running to be interrupted (make it bigger): ${JSON.stringify(running)}`);
      const seenBeforeKill = watcher.last;
      await site.stop();
      t.diagnostic(`killed at ${seenBeforeKill}% after ${((Date.now() - exportBegan) / 1000).toFixed(1)} s of export`);

      const { archives, drafts } = await storedBy(kind, site.dataDir);
      assert.deepEqual(archives, [], 'no archive may appear before the job completes');
      assert.ok(drafts.every((f) => draftJobId(f) === start.body.id), `only drafts of the job: ${drafts.join(', ')}`);
      t.diagnostic(`drafts left by the killed process: ${drafts.length}`);

      const restarted = Date.now();
      await site.start();
      const job = await watcher.until((s) => terminal.includes(s.status), kind === 'postgres' ? 300_000 : 180_000, 100);
      t.diagnostic(`restart to COMPLETED: ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      assert.equal(job.percentComplete, 100);
      assert.ok(watcher.last >= seenBeforeKill);
      assert.equal(job.result.documentsExported, documentCount, JSON.stringify(job.result));

      const file = await downloadArchive(labLike(url, site.call), owner.key, job);
      cleanups.push(async () => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
      checkZip(file);
      const names = entries(file);
      const top = path.basename(file, '.zip');
      const missingDocuments = documentIds.filter((id) => !names.some((n) => n.startsWith(`${top}/doc_`) && n.endsWith(`-${id}.xml`)));
      assert.deepEqual(missingDocuments, [], 'every document is in the archive');
      const missingFiles = fileIds.filter((id) => !names.some((n) => n.startsWith(`${top}/media_`) && n.includes(`-${id}/raw-data-`)));
      assert.deepEqual(missingFiles, [], 'every file is in the archive');
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      assert.deepEqual((await storedBy(kind, site.dataDir)).archives, [path.basename(file)], 'one archive, the finished one');

      // The interrupted job blocks nobody: its owner may export again at once.
      const again = await site.call('POST', `/export/xml/selection?selections=${documentIds.slice(1, 4).join(',')}`, { key: owner.key });
      assert.equal(again.status, 202, again.text);
      const next = await waitForJob(labLike(url, site.call), owner.key, again.body.id);
      assert.equal(next.status, 'COMPLETED', JSON.stringify(next));
      assert.equal(next.result.documentsExported, 3);

      // A graceful stop in the middle of an export gives the job back, and the attempt is not counted.
      const third = await site.call('POST', '/export/html/user', { key: owner.key });
      assert.equal(third.status, 202, third.text);
      const thirdWatcher = new Watcher(site, owner.key, third.body.id);
      const building = await thirdWatcher.until((s) => terminal.includes(s.status) || (s.status === 'STARTED' && s.percentComplete > 0), 120_000, 50);
      assert.equal(building.status, 'STARTED', JSON.stringify(building));
      await site.server!.kill('SIGTERM');
      site.server = null;
      assert.deepEqual(await site.jobRow(third.body.id), { status: 'STARTING', attempts: 0 });
      await site.start();
      const resumed = await thirdWatcher.until((s) => terminal.includes(s.status), 180_000, 100);
      assert.equal(resumed.status, 'COMPLETED', JSON.stringify(resumed));
      assert.deepEqual(await (async () => {
        await site.stop();
        return site.jobRow(third.body.id);
      })(), { status: 'COMPLETED', attempts: 1 });
    });

    it('gives up a job interrupted more often than allowed: FAILED, saying it was interrupted, and its owner may export again', { timeout: 300_000 }, async () => {
      const site = await newSite(kind);
      // No worker: the job waits, so it can be made to look like one a dying process left behind.
      await site.start({ ELNPORT_WORKERS: '0' });
      const owner = await createUser(site.call, 'unlucky');
      const doc = await site.call('POST', '/documents', { key: owner.key, body: { name: 'Unlucky entry', fields: [{ content: '<p>x</p>' }] } });
      assert.equal(doc.status, 201, doc.text);
      const start = await site.call('POST', '/export/html/user', { key: owner.key });
      assert.equal(start.status, 202, start.text);
      const jobId: number = start.body.id;
      expectError(await site.call('POST', '/export/xml/user', { key: owner.key }), 429, 42901);
      await site.stop();

      // Three attempts, each cut short by the server stopping: the third left it STARTED.
      const longAgo = '2000-01-01T00:00:00.000Z';
      await site.setJob(jobId, { status: 'STARTED', attempts: 3, worker_id: 'a-process-that-died', heartbeat: longAgo, started: longAgo });

      await site.start();
      const watcher = new Watcher(site, owner.key, jobId);
      const job = await watcher.until((s) => terminal.includes(s.status), 120_000, 100);
      assert.equal(job.status, 'FAILED', JSON.stringify(job));
      assert.equal(job.result.httpCode, 500);
      assert.match(job.result.message, /interrupted/);
      assert.deepEqual(job.result.errors, [job.result.message]);
      const again = await site.call('GET', `/jobs/${jobId}`, { key: owner.key });
      assert.equal(again.headers.get('retry-after'), null, 'a terminal job suggests no further polling');

      const next = await site.call('POST', '/export/html/user', { key: owner.key });
      assert.equal(next.status, 202, `a job given up blocks nobody: ${next.text}`);
      const done = await waitForJob(labLike(site.server!.url, site.call), owner.key, next.body.id);
      assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
      assert.equal(done.result.documentsExported, 1);
    });
  });
});
