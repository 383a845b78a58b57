/**
 * The cluster row (`--row cluster`, needs DATABASE_URL): issue 10's figure, the time 20 exports
 * take with one `worker` process and with two. One `api` process, the workers, a fresh
 * PostgreSQL database and an S3 bucket (s3rver, in this process) — each process with a data
 * directory of its own, as on separate machines. 20 users, each with documents and one
 * incompressible attachment past the 5 MiB multipart part, export at once; the clock runs from
 * the first POST to the last COMPLETED. The same users export again and again, with 1, 2, 1 and
 * 2 workers, so every figure is of the same content and a burst of other work on the machine
 * shows as two figures that differ; each worker count's best is its figure. Every archive is
 * downloaded through the api and its size and CRC32 checked against the job's.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import S3rver from 's3rver';
import { createPostgresDatabase } from '../test/support/process.js';
import { recordsOf, sleep, type Bench, type Job } from './bench.js';
import { buildCorpus, image, inParallel, type Corpus } from './corpus.js';
import type { Figures, Row } from './rows.js';
import { benchKey, caller, freePort, serverProcess, type Call } from './serverProcess.js';

const users = 20;
const documentsEach = 20;
const fileBytes = 6 * 1024 * 1024;
/** Exports at a time in each worker process: with 2 cores, 2 workers run 4. */
const perWorker = 2;
const bucket = 'bench';

interface Round {
  seconds: number;
  jobs: Job[];
  mostStarted: number;
}

/** The 20 exports at once, polled through the api until every one is done; then each archive checked. */
async function round(call: Call, base: string, crowd: Corpus[]): Promise<Round> {
  const started = performance.now();
  const queued: Job[] = await Promise.all(crowd.map((c, i) => call('POST', `/export/${i % 2 ? 'xml' : 'html'}/user`, c.apiKey)));
  const final = new Map<number, Job>();
  let mostStarted = 0;
  while (final.size < crowd.length) {
    let running = 0;
    await Promise.all(
      queued.map(async (q, i) => {
        if (final.has(i)) return;
        const job: Job = await call('GET', `/jobs/${q.id}`, crowd[i]!.apiKey);
        if (job.status === 'STARTED') running++;
        if (!['STARTING', 'STARTED'].includes(job.status)) final.set(i, job);
      }),
    );
    mostStarted = Math.max(mostStarted, running);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const jobs = [...final.entries()].sort(([a], [b]) => a - b).map(([, job]) => job);
  const failed = jobs.filter((job) => job.status !== 'COMPLETED');
  if (failed.length) throw new Error(`${failed.length} exports not COMPLETED: ${JSON.stringify(failed[0])}`);
  await inParallel(jobs.length, 4, (i) => verifiedDownload(base, crowd[i]!.apiKey, jobs[i]!));
  return { seconds, jobs, mostStarted };
}

/** Downloads the archive through the api, streamed, and checks its size and CRC32 against the job's. */
async function verifiedDownload(base: string, apiKey: string, job: Job): Promise<void> {
  const r = await fetch(`${base}/export/${job.result.archiveName}`, { headers: { apiKey, accept: 'application/octet-stream' } });
  if (r.status !== 200 || !r.body) throw new Error(`download of job ${job.id}: ${r.status}`);
  let crc = 0;
  let size = 0;
  for await (const chunk of r.body) {
    crc = zlib.crc32(chunk, crc);
    size += chunk.length;
  }
  if (String(crc) !== job.result.checksum || size !== job.result.size) {
    throw new Error(`job ${job.id}'s archive: ${size} bytes, CRC32 ${crc}; the job says ${job.result.size}, ${job.result.checksum}`);
  }
}

async function cluster(bench: Bench): Promise<Figures> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) throw new Error('the cluster row needs PostgreSQL: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const s3Dir = fs.mkdtempSync(path.join(bench.workDir, 's3-'));
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir, configureBuckets: [{ name: bucket }] });
  const endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
  const db = await createPostgresDatabase(adminUrl);
  const stops: (() => Promise<void>)[] = [];
  const env = {
    DATABASE_URL: db.url,
    ELNPORT_BLOBS: 's3',
    ELNPORT_S3_ENDPOINT: endpoint,
    ELNPORT_S3_BUCKET: bucket,
    ELNPORT_S3_FORCE_PATH_STYLE: 'true',
    // s3rver's own credentials, which it checks signatures against.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    ELNPORT_API_KEY_SECRET: randomBytes(32).toString('base64'),
    ELNPORT_WORKERS: String(perWorker),
  };
  /** A process with a data directory of its own; a worker is ready when its /health answers. */
  const start = async (role: 'api' | 'worker') => {
    const dataDir = fs.mkdtempSync(path.join(bench.workDir, `${role}-`));
    const servers = await serverProcess(dataDir);
    const healthPort = await freePort();
    const child = await servers.serve({
      args: ['--role', role],
      env: { ...env, ELNPORT_HEALTH_PORT: String(healthPort) },
      ...(role === 'worker' ? { readyUrl: `http://127.0.0.1:${healthPort}/health` } : {}),
    });
    const stop = () => servers.stop(child);
    stops.push(stop);
    return { base: servers.base, stop };
  };
  try {
    const api = await start('api');
    const call = caller(api.base);
    const crowd: Corpus[] = [];
    await inParallel(users, 4, async (i) => {
      crowd[i] = await buildCorpus(call, api.base, benchKey, { name: `cluster-${i}`, documents: documentsEach, attachments: [image(`plate-${i}.jpg`, fileBytes)] });
    });
    const rounds = new Map<number, Round[]>([[1, []], [2, []]]);
    for (const workers of [1, 2, 1, 2]) {
      const running = await Promise.all(Array.from({ length: workers }, () => start('worker')));
      const measured = await round(call, api.base, crowd);
      rounds.get(workers)!.push(measured);
      console.error(`  ${workers} worker process(es): ${measured.seconds.toFixed(2)} s`);
      for (const worker of running) await worker.stop();
    }
    const best = (workers: number) => rounds.get(workers)!.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const all = (workers: number) => rounds.get(workers)!.map((r) => r.seconds.toFixed(2)).join(' and ');
    const [one, two] = [best(1), best(2)];
    return {
      records: two.jobs.reduce((n, job) => n + recordsOf(job), 0),
      seconds: two.seconds,
      bytes: two.jobs.reduce((n, job) => n + job.result.size, 0),
      notes: [
        `1 worker process: **${one.seconds.toFixed(2)} s** (${all(1)}; at most ${one.mostStarted} STARTED at once)`,
        `2 worker processes: **${two.seconds.toFixed(2)} s** (${all(2)}; at most ${two.mostStarted})`,
        `1 / 2: **${(one.seconds / two.seconds).toFixed(2)}×**`,
        `${users}/${users} COMPLETED and downloaded whole in every round`,
      ],
    };
  } finally {
    for (const stop of stops) await stop();
    await s3.close();
    await db.drop();
  }
}

export const clusterRow: Row = {
  id: 'cluster',
  what: `cluster: api + 2 worker processes (×${perWorker} exports each; best of 2 rounds, 1 worker in the notes) on PostgreSQL + S3 (s3rver), ${users} users × (${documentsEach} docs + a ${fileBytes >> 20} MiB image) export at once`,
  settings: ['DATABASE_URL'],
  run: cluster,
};
