import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { draftJobId } from '../src/blobs/archiveStore.js';
import { jobTimings } from '../src/domain/jobTimings.js';
import { checkZip, downloadArchive, waitForJob } from './support/archives.js';
import { jsonCaller, type Call } from './support/http.js';
import { postgresSkip } from './support/lab.js';
import { createPostgresDatabase, freePort, killAllServers, labLike, serve, type ServerProcess } from './support/process.js';
import { fakeS3Bucket, fakeS3Credentials, startFakeS3, type FakeS3 } from './support/s3rver.js';
import { tempDir } from './support/tempDirs.js';

/**
 * Issue 10's cluster: one `api` and two `worker` processes, each with a data directory of its
 * own (as on separate machines), meeting only in one PostgreSQL database and one S3 bucket. It
 * tests what a lab sees over HTTP and what the bucket holds, not how jobs reach the workers: 20
 * users export at once, one worker is SIGKILLed in the middle of an export, then the api is, and
 * every archive still arrives whole, exactly once.
 *
 * Which worker builds which job is not in the API: each worker's log says it ("export job
 * started" / "completed", with the jobId), so the workers log at info and the test reads their
 * standard output.
 */

const sysadminKey = 'cluster_test_sysadmin_key_0123';
const users = 20;
const documentsEach = 10;
/** Past lib-storage's 5 MiB part: each archive goes up as a multipart upload, as a real one would. */
const fileBytes = 6 * 1024 * 1024;
/** How often the sweeper runs with the default retention (48 h); two periods hold one whole pass. */
const sweepMs = jobTimings.sweepPeriodMs(48);

interface JobLog {
  started: Set<number>;
  completed: Set<number>;
  failed: Set<number>;
  /** Resolves once the process's standard output is closed: all it wrote has been read. */
  closed: Promise<void>;
}

/** The jobs a process's log says it started, completed and failed (pino's JSON lines on stdout). */
function jobLog(server: ServerProcess): JobLog {
  const log: JobLog = { started: new Set(), completed: new Set(), failed: new Set(), closed: once(server.child.stdout!, 'close').then(() => undefined) };
  const sets: Record<string, Set<number>> = { 'export job started': log.started, 'export job completed': log.completed, 'export job failed': log.failed };
  let partial = '';
  server.child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; jobId?: number };
        if (entry.msg && entry.jobId !== undefined) sets[entry.msg]?.add(entry.jobId);
      } catch {
        // not one of pino's lines
      }
    }
  });
  return log;
}

/** The job whose draft an object or upload key (`lab/drafts/job-<id>-<name>`) is; -1 for anything else. */
const draftOf = (key: string) => (key.startsWith('lab/drafts/') ? draftJobId(key.slice('lab/drafts/'.length)) : -1);

const unfinished = (log: JobLog) => [...log.started].filter((id) => !log.completed.has(id) && !log.failed.has(id));

async function runningJobs(healthPort: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${healthPort}/health`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { runningJobs: number }).runningJobs;
}

async function until(what: string, timeoutMs: number, done: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a cluster of one api and two workers on PostgreSQL and S3', { skip: postgresSkip }, () => {
  let s3: FakeS3;
  let dropDatabase: () => Promise<void> = async () => undefined;
  let env: Record<string, string>;
  let apiDir: string;
  let apiPort: number;

  before(async () => {
    s3 = await startFakeS3();
    const db = await createPostgresDatabase(process.env.DATABASE_URL!);
    dropDatabase = db.drop;
    env = {
      DATABASE_URL: db.url,
      ELNPORT_BLOBS: 's3',
      ELNPORT_S3_ENDPOINT: s3.endpoint,
      ELNPORT_S3_BUCKET: fakeS3Bucket,
      ELNPORT_S3_PREFIX: 'lab/',
      ELNPORT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: fakeS3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fakeS3Credentials.secretAccessKey,
      // The data directories differ, so the key secret that would be made in one is given to all.
      ELNPORT_API_KEY_SECRET: randomBytes(32).toString('base64'),
      // Clients poll every 50–100 ms, far beyond the default rate limit.
      ELNPORT_RATE_LIMIT: '1000000',
      // Two exports at a time in each worker: 2 cores build 4 and serve the rest.
      ELNPORT_WORKERS: '2',
    };
    apiDir = tempDir('elnport-cluster-api-');
    apiPort = await freePort();
  });

  after(async () => {
    await killAllServers();
    await s3?.close();
    await dropDatabase();
  });

  const startApi = () => serve({ dataDir: apiDir, port: apiPort, sysadminKey, args: ['--role', 'api'], env });

  async function startWorker(): Promise<{ server: ServerProcess; healthPort: number; log: JobLog; dir: string }> {
    const healthPort = await freePort();
    const dir = tempDir('elnport-cluster-worker-');
    const server = await serve({
      dataDir: dir,
      port: await freePort(),
      sysadminKey,
      args: ['--role', 'worker'],
      env: { ...env, ELNPORT_HEALTH_PORT: String(healthPort), LOG_LEVEL: 'info' },
      readyUrl: `http://127.0.0.1:${healthPort}/health`,
    });
    return { server, healthPort, log: jobLog(server), dir };
  }

  /** The bucket's objects by kind (blobs/, archives/, drafts/), and the keys of the unfinished multipart uploads s3rver holds. */
  async function bucket(): Promise<{ blobs: string[]; archives: string[]; drafts: string[]; other: string[]; uploads: string[] }> {
    const keys: string[] = [];
    const { client } = s3.client();
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.NextContinuationToken;
    } while (token);
    client.destroy();
    const under = (prefix: string) => keys.filter((key) => key.startsWith(`lab/${prefix}`)).map((key) => key.slice(`lab/${prefix}`.length));
    const known = ['blobs/', 'archives/', 'drafts/'];
    return {
      blobs: under('blobs/'),
      archives: under('archives/'),
      drafts: under('drafts/'),
      other: keys.filter((key) => !known.some((prefix) => key.startsWith(`lab/${prefix}`))),
      uploads: s3.uploadKeysOnDisk(),
    };
  }

  /** Whether the service lists unfinished multipart uploads, as the sweeper needs to abort a dead worker's. */
  async function listsUploads(): Promise<boolean> {
    const { client } = s3.client();
    try {
      await client.send(new ListMultipartUploadsCommand({ Bucket: fakeS3Bucket }));
      return true;
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === 'NotImplemented') return false;
      throw error;
    } finally {
      client.destroy();
    }
  }

  it('builds 20 exports at once; a worker SIGKILLed mid-export and then the api change nothing a lab sees: every archive whole, exactly once', { timeout: 400_000 }, async (t) => {
    const began = Date.now();
    const seconds = () => `${((Date.now() - began) / 1000).toFixed(1)} s`;
    let api = await startApi();
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    t.diagnostic(`api and 2 workers answering at ${seconds()}`);
    let call: Call = jsonCaller(api.url, sysadminKey);

    const keys: string[] = [];
    for (let u = 0; u < users; u++) {
      const r = await call('POST', '/sysadmin/users', {
        body: { username: `member${u}`, email: `member${u}@test.lab`, firstName: 'Member', lastName: String(u), password: 'password123', role: 'ROLE_USER' },
      });
      assert.equal(r.status, 201, r.text);
      keys.push(r.body.apiKey);
    }
    await Promise.all(
      keys.map(async (key, u) => {
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(randomBytes(fileBytes))]), `plate-${u}.bin`);
        const up = await fetch(`${api.url}/api/v1/files`, { method: 'POST', headers: { apiKey: key }, body: form });
        assert.equal(up.status, 201, await up.clone().text());
        const fileId = ((await up.json()) as { id: number }).id;
        for (let d = 0; d < documentsEach; d++) {
          const attached = d === 0 ? `<fileId=${fileId}>` : '';
          const content = `<h2>Run ${d}</h2>${'<p>Incubated at 37 °C for 2 h; OD<sub>600</sub> every 30 min; consistent with run 11.</p>'.repeat(40)}${attached}`;
          const r = await call('POST', '/documents', { key, body: { name: `Entry ${d}`, fields: [{ content }] } });
          assert.equal(r.status, 201, r.text);
        }
      }),
    );
    const atStart = await bucket();
    assert.equal(atStart.blobs.length, users, 'one attachment each, in the bucket');
    assert.deepEqual([atStart.archives, atStart.drafts, atStart.other, atStart.uploads], [[], [], [], []]);
    t.diagnostic(`${users} users with ${documentsEach} documents and a ${fileBytes >> 20} MiB file each at ${seconds()}; bucket: ${atStart.blobs.length} objects`);

    const jobIds = await Promise.all(
      keys.map(async (key, u) => {
        const r = await call('POST', `/export/${u % 2 ? 'xml' : 'html'}/user`, { key });
        assert.equal(r.status, 202, r.text);
        return r.body.id as number;
      }),
    );
    const exportsBegan = Date.now();

    // Worker a is killed while one of its exports is building and already going up to the bucket
    // (its multipart upload begun): the hardest moment to leave nothing behind.
    await until('worker a uploading an export', 120_000, async () => {
      const uploading = s3.uploadKeysOnDisk().map(draftOf);
      return (await runningJobs(a.healthPort)) > 0 && unfinished(a.log).some((id) => uploading.includes(id));
    });
    await a.server.kill('SIGKILL');
    const killedAt = Date.now();
    await a.log.closed;
    const killed = unfinished(a.log);
    assert.ok(killed.length > 0, 'the killed worker was building an export');
    assert.ok(killed.every((id) => jobIds.includes(id)));
    const afterKill = await bucket();
    t.diagnostic(
      `worker a SIGKILLed ${((Date.now() - exportsBegan) / 1000).toFixed(1)} s into the exports, building job(s) ${killed.join(', ')}, having completed ${a.log.completed.size}; ` +
        `bucket: ${afterKill.blobs.length} blobs, ${afterKill.archives.length} archives, ${afterKill.drafts.length} drafts, ${afterKill.uploads.length} unfinished multipart uploads`,
    );

    // The api is killed while worker b builds; b carries on with every job left, a's included.
    await until('worker b building an export', 120_000, async () => (await runningJobs(b.healthPort)) > 0 && unfinished(b.log).length > 0);
    await api.kill('SIGKILL');
    const buildingWhenApiDied = unfinished(b.log);
    t.diagnostic(`api SIGKILLed at ${seconds()}, worker b building job(s) ${buildingWhenApiDied.join(', ')}`);
    // A dead worker's job waits for its heartbeat to go stale (jobTimings.staleAfterMs, 15 s) or
    // its pg-boss expiry: minutes at most.
    await until('every job completed by a worker', 300_000, () => {
      const failed = [...a.log.failed, ...b.log.failed];
      assert.deepEqual(failed, [], `no export fails:\n${b.server.output()}`);
      return jobIds.every((id) => a.log.completed.has(id) || b.log.completed.has(id));
    });
    t.diagnostic(`all ${users} completed by the workers at ${seconds()} (${((Date.now() - exportsBegan) / 1000).toFixed(1)} s of exports), with no api running`);
    for (const id of killed) {
      assert.ok(b.log.started.has(id) && b.log.completed.has(id), `job ${id}, cut short on worker a, is built by worker b`);
      assert.ok(!a.log.completed.has(id));
    }
    assert.ok(buildingWhenApiDied.every((id) => b.log.completed.has(id)), 'the jobs under way when the api died are finished');
    // What a dead worker left is the sweeper's, once it is older than a live job's draft can be
    // (jobTimings.staleAfterMs): the bucket is looked at when a whole pass has run after that.
    const sweptAt = Math.max(Date.now(), killedAt + jobTimings.staleAfterMs) + 2 * sweepMs;
    const swept = new Promise((resolve) => setTimeout(resolve, sweptAt - Date.now()));

    api = await startApi();
    call = jsonCaller(api.url, sysadminKey);
    const names = new Map<number, string>();
    for (const [u, id] of jobIds.entries()) {
      const job = await waitForJob(labLike(api.url, call), keys[u]!, id, 10_000);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      assert.equal(job.percentComplete, 100);
      assert.equal(job.result.documentsExported, documentsEach, JSON.stringify(job.result));
      assert.equal(job.result.filesExported, 1, JSON.stringify(job.result));
      // The restarted api serves it through the bucket: size and CRC32 as the job says, and unzip -t.
      const file = await downloadArchive(labLike(api.url, call), keys[u]!, job);
      checkZip(file);
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      names.set(id, job.result.archiveName);
    }

    await swept;
    const end = await bucket();
    t.diagnostic(
      `at the end: ${end.blobs.length} blobs, ${end.archives.length} archives, ${end.drafts.length} drafts, ${end.other.length} other objects, ` +
        `${end.uploads.length} unfinished multipart uploads (for job(s) ${end.uploads.map(draftOf).join(', ') || 'none'})`,
    );
    assert.deepEqual(end.archives.sort(), [...names.values()].sort(), 'exactly one archive object for each job, the killed ones included');
    assert.deepEqual(end.blobs.sort(), atStart.blobs.sort());
    assert.deepEqual(end.drafts, [], 'no draft object is left');
    assert.deepEqual(end.other, []);
    if (await listsUploads()) assert.deepEqual(end.uploads, [], 'no multipart upload is left unfinished');
    else {
      // s3rver cannot list unfinished uploads, so no sweeper can find (and abort) the one a killed
      // worker began: on AWS S3, MinIO or Ceph the sweeper does, or the bucket's lifecycle rule
      // (AbortIncompleteMultipartUpload). Every other upload was completed or aborted by its worker.
      const strays = end.uploads.filter((key) => !killed.includes(draftOf(key)));
      assert.deepEqual(strays, [], 'no multipart upload is left but those of the killed worker');
    }
    for (const dir of [apiDir, a.dir, b.dir]) {
      assert.deepEqual(fs.readdirSync(dir).filter((entry) => ['blobs', 'archives'].includes(entry)), [], `nothing stored in ${dir}`);
    }
  });
});
