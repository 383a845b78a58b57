import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { loadConfig } from '../src/config.js';
import { ensureFirstSysadmin } from '../src/content/users.js';
import { jobTimings } from '../src/domain/jobTimings.js';
import { queueSchema } from '../src/jobs/pgBossDispatcher.js';
import { insertExportJob } from '../src/store/queries/exportJobs.js';
import { startServer, type Server } from '../src/server.js';
import { ownWorkRequest } from './support/exportRequests.js';
import { jsonCaller, type Call } from './support/http.js';
import { postgresSkip, sysadminKey } from './support/lab.js';
import { createPostgresDatabase } from './support/process.js';
import { tempDir } from './support/tempDirs.js';

/**
 * Dispatch on PostgreSQL through pg-boss (src/jobs/pgBossDispatcher.ts), seen in the database
 * both share: every waiting job has a queue entry, an entry whose job waits no more runs nothing,
 * and the sweeper runs once at a time for the whole cluster, however many workers there are.
 */

const exportQueue = 'elnport-export';
const sweepQueue = 'elnport-sweep';
const request = ownWorkRequest('xml');

describe('dispatch through pg-boss', { skip: postgresSkip }, () => {
  let database: { url: string; drop(): Promise<void> };
  let all: Server;
  let worker: Server;
  let call: Call;
  let client: pg.Client;

  const env = () => ({
    DATABASE_URL: database.url,
    ELNPORT_DATA_DIR: tempDir('elnport-pgboss-'),
    ELNPORT_SYSADMIN_API_KEY: sysadminKey,
    PORT: '0',
    ELNPORT_HEALTH_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    // 1.8 s: the sweeper's period is then 450 ms, so a few seconds see many passes.
    ELNPORT_RETENTION_HOURS: '0.0005',
    ELNPORT_WORKERS: '1',
  });
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await client.query<R>(text, values)).rows;
  const entriesOf = (jobId: number) =>
    query<{ state: string }>(`select state from ${queueSchema}.job where name = $1 and data->>'jobId' = $2 order by created_on`, [exportQueue, String(jobId)]);
  async function untilStatus(jobId: number, status: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = await query<{ status: string }>('select status from export_jobs where id = $1', [jobId]);
      if (row?.status === status) return;
      assert.ok(Date.now() < deadline, `job ${jobId} stayed ${row?.status}, never ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  async function newUser(username: string): Promise<{ id: number; key: string }> {
    const r = await call('POST', '/sysadmin/users', {
      body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
    });
    assert.equal(r.status, 201, r.text);
    return { id: r.body.id, key: r.body.apiKey };
  }

  before(async () => {
    database = await createPostgresDatabase(process.env.DATABASE_URL!);
    all = await startServer(loadConfig(env()));
    await ensureFirstSysadmin(all.store.db, all.store.apiKeys, sysadminKey);
    worker = await startServer(loadConfig({ ...env(), ELNPORT_ROLE: 'worker' }));
    call = jsonCaller(all.url, sysadminKey);
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  after(async () => {
    await client?.end();
    await worker?.close();
    await all?.close();
    await database?.drop();
  });

  it('queues an entry with each export, and the job it names is built once', async () => {
    const user = await newUser('queued');
    const start = await call('POST', '/export/xml/user', { key: user.key });
    assert.equal(start.status, 202, start.text);
    await untilStatus(start.body.id, 'COMPLETED');
    // A sweep that runs between a worker fetching the entry and claiming the job sees no waiting
    // entry and sends a second (queueEntries.ts), which then claims nothing: on a loaded machine
    // that window is real, so only "every entry done, the job built once" is certain. pg-boss
    // completes an entry after its handler returns, which is after the job's row says COMPLETED.
    const deadline = Date.now() + 30_000;
    let entries = await entriesOf(start.body.id);
    while (!(entries.length >= 1 && entries.every((e) => e.state === 'completed')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      entries = await entriesOf(start.body.id);
    }
    assert.ok(entries.length >= 1 && entries.every((e) => e.state === 'completed'), JSON.stringify(entries));
    const [row] = await query<{ attempts: number }>('select attempts from export_jobs where id = $1', [start.body.id]);
    assert.equal(row!.attempts, 1);
  });

  it('stores no job when its queue entry cannot be stored: the two commit together or not at all', async () => {
    const user = await newUser('atomic');
    // Every new export entry is refused, as a queue table that cannot be written refuses it: only
    // the export queue's own partition, so that the sweeper's entries go on as before.
    const [found] = await query<{ partition: string }>(`select partition_name as partition from ${queueSchema}.queue where name = $1`, [exportQueue]);
    const table = `${queueSchema}."${found!.partition}"`;
    await query(`alter table ${table} add constraint refuse_all check (false) not valid`);
    try {
      const start = await call('POST', '/export/xml/user', { key: user.key });
      assert.equal(start.status, 500, start.text);
    } finally {
      await query(`alter table ${table} drop constraint refuse_all`);
    }
    assert.deepEqual(await query('select id from export_jobs where owner_id = $1', [user.id]), [], 'a job row without its entry was left');
    const again = await call('POST', '/export/xml/user', { key: user.key });
    assert.equal(again.status, 202, 'nothing unfinished is in the way');
    await untilStatus(again.body.id, 'COMPLETED');
  });

  it('gives a waiting job that has no entry one, at the next sweep, and it is built', async () => {
    // As a process that died between queueing a job again and sending its entry leaves it.
    const user = await newUser('unqueued');
    const job = await insertExportJob(all.store.db, user.id, request, new Date().toISOString());
    // Stored with no entry: only a sweep can give it one (one may already have, 450 ms being its period).
    await untilStatus(job.id, 'COMPLETED');
    assert.ok((await entriesOf(job.id)).length >= 1);
  });

  it('an entry whose job no longer waits claims nothing and changes nothing', async () => {
    const user = await newUser('twice');
    const start = await call('POST', '/export/xml/user', { key: user.key });
    await untilStatus(start.body.id, 'COMPLETED');
    const [before] = await query('select * from export_jobs where id = $1', [start.body.id]);
    const boss = new PgBoss({ connectionString: database.url, schema: queueSchema, supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      await boss.send(exportQueue, { jobId: start.body.id });
    } finally {
      await boss.stop({ graceful: false });
    }
    const deadline = Date.now() + 30_000;
    while ((await entriesOf(start.body.id)).some((e) => e.state !== 'completed')) {
      assert.ok(Date.now() < deadline, 'the second entry was never taken');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await entriesOf(start.body.id)).length, 2);
    const [afterwards] = await query('select * from export_jobs where id = $1', [start.body.id]);
    assert.deepEqual(afterwards, before);
  });

  it('runs one sweep at a time for the whole cluster, though two processes run workers', async () => {
    const completedPasses = () =>
      query<{ started: Date; completed: Date }>(
        `select started_on as started, completed_on as completed from ${queueSchema}.job
         where name = $1 and state = 'completed' order by started_on`,
        [sweepQueue],
      );
    let passes = await completedPasses();
    for (const deadline = Date.now() + 30_000; passes.length < 8 && Date.now() < deadline; passes = await completedPasses()) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(passes.length >= 8, `only ${passes.length} sweeps in 30 s`);
    // Each pass queues the next a period after it: a pass sooner than that came from elsewhere,
    // the first pass each process asks for as it starts, or pg-boss's cron once a minute.
    const period = jobTimings.sweepPeriodMs(0.0005);
    let sooner = 0;
    for (let i = 1; i < passes.length; i++) {
      const gap = passes[i]!.started.getTime() - passes[i - 1]!.completed.getTime();
      assert.ok(gap >= 0, `sweeps ${i - 1} and ${i} overlapped: ${JSON.stringify(passes.slice(i - 1, i + 1))}`);
      if (gap < period * 0.9) sooner += 1;
    }
    assert.ok(sooner <= 2, `${sooner} of ${passes.length} sweeps came sooner than a period after the one before`);
  });
});
