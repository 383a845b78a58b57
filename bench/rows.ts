/**
 * The bench's rows, each named by an id that `--row` runs alone. A row measures on fresh server
 * processes and returns its figures for the one table.
 */
import { completed, recordsOf, sleep, waitForJob, type Bench, type Job } from './bench.js';
import { clusterRow } from './cluster.js';
import { contentLimitRow } from './contentLimit.js';
import { corpora, type Corpus, type CorpusSpec } from './corpus.js';
import { mb, ms, thousands } from './format.js';
import { importRow } from './importRow.js';
import { memoryKb, sampleRss, type Peak } from './memory.js';
import { latencies, load, poller } from './polling.js';
import { benchKey } from './serverProcess.js';
import { zip64Row } from './zip64.js';

export interface Figures {
  records?: number;
  seconds?: number;
  bytes?: number;
  peak?: Peak;
  zipSeconds?: number;
  notes: string[];
}

export interface Row {
  id: string;
  what: string;
  /** Environment variables besides the server's that change this row's figures. */
  settings?: string[];
  run(bench: Bench): Promise<Figures>;
}

const files = Number(process.env.BENCH_FILES ?? 40);
const fileMb = Number(process.env.BENCH_FILE_MB ?? 8);
/** Documents of each user in the --concurrent mode. */
const crowdDocuments = 1000;
const idleSeconds = 10;


function throughput(id: string, spec: CorpusSpec, format: string, what: string, settings: string[] = []): Row {
  return {
    id,
    what: `${what}, ${format}`,
    settings,
    async run(bench) {
      const e = await bench.exportOf(spec, format);
      const zip = await bench.zipBaseline(e.archive);
      return {
        records: e.records, seconds: e.seconds, bytes: e.bytes, peak: e.peak, zipSeconds: zip.seconds,
        notes: [`zip's archive ${mb(zip.bytes)} MB`, `loop max ${ms(e.loop.max)} ms`],
      };
    },
  };
}

function memory(documents: number): Row {
  return {
    id: `memory-${documents}`,
    what: `flat memory: ${thousands(documents)} docs, html`,
    async run(bench) {
      const e = await bench.exportOf(corpora.documents(documents), 'html');
      return { records: e.records, seconds: e.seconds, bytes: e.bytes, peak: e.peak, notes: [`RSS ${e.idleMb.toFixed(0)} MB before the export`] };
    },
  };
}

const idle: Row = {
  id: 'idle',
  what: 'idle: a fresh server, 2 s after it answers',
  async run(bench) {
    await bench.restart();
    await sleep(2000);
    const rss = memoryKb(bench.pid, 'VmRSS') / 1024;
    return { peak: { hwmMb: memoryKb(bench.pid, 'VmHWM') / 1024, sampledMb: rss }, notes: [`VmRSS ${rss.toFixed(0)} MB`] };
  },
};

function concurrent(users: number): Row {
  return {
    id: `concurrent-${users}`,
    what: `${users} users × ${thousands(crowdDocuments)} docs export at once (html and xml alternately)`,
    async run(bench) {
      const crowd: Corpus[] = [];
      for (let i = 0; i < users; i++) crowd.push(await bench.corpus({ ...corpora.documents(crowdDocuments), name: `crowd-${i}` }));
      await bench.restart();
      await bench.loopDelay();
      const rss = sampleRss(bench.pid);
      const started = performance.now();
      const queued: Job[] = await Promise.all(crowd.map((c, i) => bench.call('POST', `/export/${i % 2 ? 'xml' : 'html'}/user`, c.apiKey)));
      let mostStarted = 0;
      const final = new Map<number, Job>();
      while (final.size < users) {
        let running = 0;
        await Promise.all(queued.map(async (q, i) => {
          if (final.has(i)) return;
          const job: Job = await bench.call('GET', `/jobs/${q.id}`, crowd[i]!.apiKey);
          if (job.status === 'STARTED') running++;
          if (!['STARTING', 'STARTED'].includes(job.status)) final.set(i, job);
        }));
        mostStarted = Math.max(mostStarted, running);
        await sleep(100);
      }
      const seconds = (performance.now() - started) / 1000;
      const peak = rss.stop();
      const loop = await bench.loopDelay();
      const jobs = [...final.values()];
      const done = jobs.filter((j) => j.status === 'COMPLETED');
      for (const job of done) await bench.verifiedArchive(job);
      return {
        records: done.reduce((n, j) => n + recordsOf(j), 0), seconds, bytes: done.reduce((n, j) => n + j.result.size, 0), peak,
        notes: [`${done.length}/${users} COMPLETED`, `at most ${mostStarted} STARTED at once`, `loop max ${ms(loop.max)} ms`],
      };
    },
  };
}

const docs20000 = corpora.documents(20000);

const responsive: Row = {
  id: 'responsive',
  what: 'API while 2 exports of 20,000 docs run (owner html, sysadmin xml)',
  async run(bench) {
    const corpus = await bench.corpus(docs20000);
    await bench.restart();
    await bench.loopDelay();
    const rss = sampleRss(bench.pid);
    const started = performance.now();
    const keys = [corpus.apiKey, benchKey];
    const queued: Job[] = [
      await bench.call('POST', '/export/html/user', corpus.apiKey),
      await bench.call('POST', `/export/xml/user/${corpus.userId}`, benchKey),
    ];
    let finished = false;
    const pollers = Array.from({ length: 4 }, (_, k) => poller(`${bench.base}/jobs/${queued[k % 2]!.id}`, keys[k % 2]!, () => finished, 20));
    const jobs = await Promise.all(queued.map((q, i) => waitForJob(bench.call, keys[i]!, q.id)));
    const seconds = (performance.now() - started) / 1000;
    finished = true;
    const polled = latencies((await Promise.all(pollers)).flat());
    const peak = rss.stop();
    const loop = await bench.loopDelay();
    for (const job of jobs) await bench.verifiedArchive(completed(job, 'responsive export'));
    return {
      records: jobs.reduce((n, j) => n + recordsOf(j), 0), seconds, bytes: jobs.reduce((n, j) => n + j.result.size, 0), peak,
      notes: [
        `GET /jobs/{id} p50 ${ms(polled.p50)}, p99 ${ms(polled.p99)}, max ${ms(polled.max)} ms (${polled.count} answers to 4 pollers)`,
        `event loop p99 ${ms(loop.p99)}, max ${ms(loop.max)} ms`,
      ],
    };
  },
};

const idlePoll: Row = {
  id: 'idle-poll',
  what: `idle API: autocannon ${idleSeconds} s, 10 connections, GET /jobs/{id} of a completed job`,
  async run(bench) {
    const { job, corpus } = await bench.exportOf(corpora.documents(1000), 'html');
    await bench.restart();
    const r = await load(`${bench.base}/jobs/${job.id}`, corpus.apiKey, idleSeconds);
    if (r.non2xx || r.errors) throw new Error(`idle polling: ${r.non2xx} answers not 2xx, ${r.errors} errors`);
    return { notes: [`${thousands(Math.round(r.requestsPerSecond))} requests/s`, `p50 ${r.p50}, p99 ${r.p99}, max ${r.max} ms`, `${thousands(r.requests)} requests`] };
  },
};

/** The row an id names, or null. */
export function rowFor(id: string): Row | null {
  let m: RegExpExecArray | null;
  if ((m = /^docs-(\d+)-(html|xml|eln)$/.exec(id))) {
    const documents = Number(m[1]);
    return throughput(id, corpora.documents(documents), m[2]!, `${thousands(documents)} docs, no files`);
  }
  if ((m = /^mixed-(html|xml)$/.exec(id))) {
    return throughput(id, corpora.mixed(files, fileMb), m[1]!, `mixed: 5,000 docs + ${files} × ${fileMb} MB files (half random images)`, ['BENCH_FILES', 'BENCH_FILE_MB']);
  }
  if ((m = /^attachments-(html|xml)$/.exec(id))) {
    return throughput(id, corpora.attachments(), m[1]!, 'attachments: 2,000 docs + 40 × 2 MB images + 40 × 2.7 MB text/CSV/JSON');
  }
  if ((m = /^import-(xml|eln)-(\d+)$/.exec(id))) {
    const documents = Number(m[2]);
    return importRow(id, corpora.documents(documents), m[1] as 'xml' | 'eln', `${thousands(documents)} docs`);
  }
  if ((m = /^import-mixed-(xml|eln)$/.exec(id))) {
    return importRow(id, corpora.mixed(files, fileMb), m[1] as 'xml' | 'eln', `mixed (5,000 docs + ${files} × ${fileMb} MB files)`, ['BENCH_FILES', 'BENCH_FILE_MB']);
  }
  if ((m = /^memory-(\d+)$/.exec(id))) return memory(Number(m[1]));
  if ((m = /^concurrent-(\d+)$/.exec(id))) return concurrent(Number(m[1]));
  if ((m = /^content-limit-(create|html|xml)$/.exec(id))) return contentLimitRow(m[1] as 'create' | 'html' | 'xml');
  return ({ idle, responsive, 'idle-poll': idlePoll, zip64: zip64Row, cluster: clusterRow } as Record<string, Row>)[id] ?? null;
}

/** What `npm run bench` runs; BENCH_DOCS=N adds a flat-memory row of N documents, BENCH_ZIP64=1 the ZIP64 row, DATABASE_URL the cluster row. */
export function defaultRows(): string[] {
  const ids = ['docs-5000-html', 'docs-5000-xml', 'docs-5000-eln', 'docs-20000-html', 'docs-20000-xml', 'mixed-html', 'mixed-xml', 'attachments-html', 'attachments-xml'];
  ids.push('idle', 'memory-1000', 'memory-20000');
  if (process.env.BENCH_DOCS) ids.push(`memory-${Number(process.env.BENCH_DOCS)}`);
  ids.push('concurrent-20', 'responsive', 'idle-poll', 'content-limit-create', 'content-limit-html', 'content-limit-xml');
  if (process.env.BENCH_ZIP64 === '1') ids.push('zip64');
  if (process.env.DATABASE_URL) ids.push('cluster');
  return ids;
}
