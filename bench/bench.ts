/**
 * One bench run: a scratch directory under os.tmpdir() holding the server's data, the server
 * process (started afresh for each measurement, so that its peak RSS is that measurement's), the
 * corpora built so far, and the exports measured so far (a row that needs an export another row
 * already measured in this run reads it rather than doing it again).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { buildCorpus, type Corpus, type CorpusSpec } from './corpus.js';
import { memoryKb, sampleRss, type Peak } from './memory.js';
import { benchKey, caller, serverProcess, type Call, type ServerProcess, type StartOptions } from './serverProcess.js';

const probe = path.join(path.dirname(new URL(import.meta.url).pathname), 'loopProbe.mjs');

export interface LoopDelay {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface Job {
  id: number;
  status: string;
  result: any;
}

export interface ExportFigures {
  corpus: Corpus;
  job: Job;
  seconds: number;
  records: number;
  archive: string;
  bytes: number;
  idleMb: number;
  peak: Peak;
  loop: LoopDelay;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A command run without blocking this process: a blocked loop let the server close a kept-alive
 * connection at its keep-alive timeout unseen, and the next request went out on it ("other side
 * closed") after a long unzip.
 */
export const run = promisify(execFile);

/** Polls a job until it is terminal; a job that is still running after `limitMs` is an error. */
export async function waitForJob(call: Call, apiKey: string, id: number, intervalMs = 25, limitMs = 3_600_000): Promise<Job> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const job: Job = await call('GET', `/jobs/${id}`, apiKey);
    if (['COMPLETED', 'FAILED', 'ABANDONED'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${limitMs / 1000} s`);
    await sleep(intervalMs);
  }
}

export function completed(job: Job, what: string): Job {
  if (job.status !== 'COMPLETED') throw new Error(`${what}: ${job.status} ${JSON.stringify(job.result)}`);
  return job;
}

export function recordsOf(job: Job): number {
  const r = job.result;
  return r.documentsExported + r.foldersExported + r.filesExported;
}

export class Bench {
  readonly call: Call;
  server: ChildProcess | null = null;
  private readonly made = new Map<string, Promise<unknown>>();
  private readonly exports = new Map<string, ExportFigures>();
  private loopReports = 0;

  private constructor(
    readonly workDir: string,
    readonly dataDir: string,
    private readonly servers: ServerProcess,
  ) {
    this.call = caller(servers.base);
  }

  static async open(): Promise<Bench> {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-'));
    const dataDir = path.join(workDir, 'data');
    fs.mkdirSync(dataDir);
    return new Bench(workDir, dataDir, await serverProcess(dataDir));
  }

  get base(): string {
    return this.servers.base;
  }

  get pid(): number {
    return this.server!.pid!;
  }

  private get loopFile(): string {
    return path.join(this.workDir, 'loop.json');
  }

  /** A fresh server process, with the event-loop probe loaded. */
  async restart(options: StartOptions = {}): Promise<ChildProcess> {
    if (this.server) await this.servers.stop(this.server);
    fs.rmSync(this.loopFile, { force: true });
    this.loopReports = 0;
    this.server = await this.servers.serve({
      nodeArgs: ['--import', probe, ...(options.nodeArgs ?? [])],
      env: { BENCH_LOOP_FILE: this.loopFile, ...options.env },
    });
    return this.server;
  }

  /** The event loop's delays since the last call (or since the server started). */
  async loopDelay(): Promise<LoopDelay> {
    const wanted = ++this.loopReports;
    process.kill(this.pid, 'SIGUSR2');
    for (let i = 0; i < 1000; i++) {
      try {
        const report = JSON.parse(fs.readFileSync(this.loopFile, 'utf8'));
        if (report.reports >= wanted) return report;
      } catch {
        // Not written yet.
      }
      await sleep(10);
    }
    throw new Error('the server did not answer the event-loop probe');
  }

  /** What `make` makes, made once per run (on whatever server is running, or a fresh one); a failure is tried again next time. */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let made = this.made.get(key) as Promise<T> | undefined;
    if (!made) {
      made = (async () => {
        if (!this.server) await this.restart();
        return make();
      })();
      this.made.set(key, made);
      made.catch(() => this.made.delete(key));
    }
    return made;
  }

  corpus(spec: CorpusSpec): Promise<Corpus> {
    return this.once(`corpus ${spec.name}`, () => buildCorpus(this.call, this.base, benchKey, spec));
  }

  /** Exports the user's work of `spec` on a fresh server, measured; once per run for each format. */
  async exportOf(spec: CorpusSpec, format: string): Promise<ExportFigures> {
    const key = `${spec.name}/${format}`;
    const known = this.exports.get(key);
    if (known) return known;
    const corpus = await this.corpus(spec);
    await this.restart();
    const idleMb = memoryKb(this.pid, 'VmRSS') / 1024;
    await this.loopDelay();
    const rss = sampleRss(this.pid);
    const started = performance.now();
    const queued: Job = await this.call('POST', `/export/${format}/user`, corpus.apiKey);
    const job = completed(await waitForJob(this.call, corpus.apiKey, queued.id), `${key} export`);
    const seconds = (performance.now() - started) / 1000;
    const peak = rss.stop();
    const loop = await this.loopDelay();
    const archive = await this.verifiedArchive(job);
    const figures = { corpus, job, seconds, records: recordsOf(job), archive, bytes: job.result.size, idleMb, peak, loop };
    this.exports.set(key, figures);
    console.error(`  ${key}: ${seconds.toFixed(2)} s, ${figures.records} records, ${(figures.bytes / 1024 / 1024).toFixed(1)} MB, peak ${peak.hwmMb.toFixed(0)} MB`);
    return figures;
  }

  /** The archive of a completed job, after checking its size, CRC32 and (where given) sha256 against the job's. */
  async verifiedArchive(job: Job): Promise<string> {
    const archive = path.join(this.dataDir, 'archives', job.result.archiveName);
    let crc = 0;
    let size = 0;
    const sha256 = createHash('sha256');
    for await (const chunk of fs.createReadStream(archive, { highWaterMark: 1 << 20 })) {
      crc = zlib.crc32(chunk as Buffer, crc);
      sha256.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    if (String(crc) !== job.result.checksum) throw new Error(`${archive}: CRC32 ${crc}, the job says ${job.result.checksum}`);
    if (size !== job.result.size) throw new Error(`${archive}: ${size} bytes, the job says ${job.result.size}`);
    if (job.result.sha256 && sha256.digest('hex') !== job.result.sha256) throw new Error(`${archive}: sha256 differs from the job's`);
    return archive;
  }

  /** The baseline: the archive's content extracted to disk, then `zip -r -6` over it, timed. */
  async zipBaseline(archive: string): Promise<{ seconds: number; bytes: number }> {
    const extracted = fs.mkdtempSync(path.join(this.workDir, 'extracted-'));
    const zipped = `${extracted}.zip`;
    try {
      await run('unzip', ['-q', archive, '-d', extracted]);
      const started = performance.now();
      await run('zip', ['-r', '-6', '-q', zipped, '.'], { cwd: extracted });
      return { seconds: (performance.now() - started) / 1000, bytes: fs.statSync(zipped).size };
    } finally {
      fs.rmSync(extracted, { recursive: true, force: true });
      fs.rmSync(zipped, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.server) await this.servers.stop(this.server);
    this.server = null;
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
