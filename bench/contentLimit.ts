/**
 * The rows of issue 7: what one document whose field is at the content limit (2 MiB, nested close
 * to the depth limit) costs the server, measured in the server process itself (its event loop by
 * the bench's probe, its memory by the kernel), so that they too compare one checkout with another.
 *
 * - create: the event loop's worst delay while such a document is saved, over BENCH_ROUNDS
 *   (default 3) saves after a first one that starts the worker threads and compiles the routes.
 * - html, xml: the peak RSS of a fresh server exporting it (with the image and the document it
 *   references) against its RSS before, and the event loop's worst delay during that first export
 *   and over BENCH_ROUNDS exports after it.
 */
import { completed, recordsOf, waitForJob, type Bench } from './bench.js';
import { upload } from './corpus.js';
import { memoryKb, sampleRss } from './memory.js';
import { ms } from './format.js';
import type { Figures, Row } from './rows.js';
import { benchKey } from './serverProcess.js';
import { contentLimits } from '../src/domain/contentLimits.js';
import { contentAtLimit } from '../test/support/contentAtLimit.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const fieldMb = contentLimits.fieldBytes / 1024 / 1024;

interface AtLimit {
  apiKey: string;
  body: string;
  /** The document at the limit and the one it links to. */
  selection: number[];
}

function atLimit(bench: Bench): Promise<AtLimit> {
  return bench.once('content at the limit', async () => {
    const user = await bench.call('POST', '/sysadmin/users', benchKey, {
      username: 'bench-limit', email: 'limit@bench.lab', firstName: 'Bench', lastName: 'Limit', password: 'password123', role: 'ROLE_USER',
    });
    const gel = await upload(bench.base, user.apiKey, { name: 'gel.png', bytes: 3, body: async () => new Blob(['png'], { type: 'image/png' }) });
    const linked: number = (await bench.call('POST', '/documents', user.apiKey, { name: 'Day 1' })).id;
    const body = JSON.stringify({ name: 'At the limit', fields: [{ content: contentAtLimit(gel, linked) }] });
    const id: number = (await save(bench, user.apiKey, body)).id;
    return { apiKey: user.apiKey, body, selection: [id, linked] };
  });
}

async function save(bench: Bench, apiKey: string, body: string): Promise<{ id: number }> {
  const r = await fetch(`${bench.base}/documents`, { method: 'POST', headers: { apiKey, 'content-type': 'application/json' }, body });
  if (r.status !== 201) throw new Error(`saving the document at the limit: ${r.status} ${(await r.text()).slice(0, 300)}`);
  return r.json() as Promise<{ id: number }>;
}

async function exportAndWait(bench: Bench, limit: AtLimit, format: string) {
  const job = await bench.call('POST', `/export/${format}/selection?selections=${limit.selection.join(',')}`, limit.apiKey);
  return completed(await waitForJob(bench.call, limit.apiKey, job.id), `${format} export at the limit`);
}

async function create(bench: Bench): Promise<Figures> {
  const limit = await atLimit(bench);
  await bench.restart();
  await save(bench, limit.apiKey, limit.body);
  let worst = 0;
  let slowest = 0;
  for (let round = 0; round < rounds; round++) {
    await bench.loopDelay();
    const started = performance.now();
    await save(bench, limit.apiKey, limit.body);
    slowest = Math.max(slowest, (performance.now() - started) / 1000);
    worst = Math.max(worst, (await bench.loopDelay()).max);
  }
  return { seconds: slowest, notes: [`worst of ${rounds} saves after a first: loop max ${ms(worst)} ms`] };
}

async function exported(bench: Bench, format: string): Promise<Figures> {
  const limit = await atLimit(bench);
  await bench.restart();
  const idleMb = memoryKb(bench.pid, 'VmRSS') / 1024;
  await bench.loopDelay();
  const rss = sampleRss(bench.pid);
  const started = performance.now();
  const job = await exportAndWait(bench, limit, format);
  const seconds = (performance.now() - started) / 1000;
  const peak = rss.stop();
  const first = (await bench.loopDelay()).max;
  await bench.verifiedArchive(job);
  let worst = 0;
  for (let round = 0; round < rounds; round++) {
    await exportAndWait(bench, limit, format);
    worst = Math.max(worst, (await bench.loopDelay()).max);
  }
  const grew = peak.hwmMb - idleMb;
  return {
    records: recordsOf(job), seconds, bytes: job.result.size, peak,
    notes: [`peak − idle ${grew.toFixed(0)} MB, ${(grew / fieldMb).toFixed(1)} × the field`, `loop max ${ms(first)} ms, worst of ${rounds} after it ${ms(worst)} ms`],
  };
}

export function contentLimitRow(what: 'create' | 'html' | 'xml'): Row {
  return {
    id: `content-limit-${what}`,
    settings: ['BENCH_ROUNDS'],
    what: what === 'create' ? `one ${fieldMb} MiB field at the content limit: save` : `one ${fieldMb} MiB field at the content limit: export, ${what}`,
    run: (bench) => (what === 'create' ? create(bench) : exported(bench, what)),
  };
}
