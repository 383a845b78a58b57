/**
 * `npm run bench` (after bench/export.ts), or `node --import tsx bench/contentLimit.ts`: what one
 * document whose field is at the content limit (2 MiB) costs the server.
 *
 * - The event loop's worst delay (perf_hooks.monitorEventLoopDelay) while it is created over HTTP
 *   (by a client in another process) and exported in each format, with the server in this process.
 *   A first round warms up the routes and worker threads; the worst of BENCH_ROUNDS (default 3)
 *   rounds after it is shown.
 * - The peak RSS (the kernel's VmHWM) of a fresh built server process (`dist/`) exporting it,
 *   once per format, against its RSS when idle before the export.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config.js';
import { ensureFirstSysadmin } from '../src/content/users.js';
import { contentLimits } from '../src/domain/contentLimits.js';
import { startServer } from '../src/server.js';
import { benchKey, caller, serverProcess, type Call } from './serverProcess.js';
import { clientInAnotherProcess, contentAtLimit } from '../test/support/contentAtLimit.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const key = benchKey;
const formats = ['html', 'xml'] as const;

async function exportAndWait(call: Call, userKey: string, format: string, ids: number[]): Promise<void> {
  const job = await call('POST', `/export/${format}/selection?selections=${ids.join(',')}`, userKey);
  for (;;) {
    const status = await call('GET', `/jobs/${job.id}`, userKey);
    if (status.status === 'COMPLETED') return;
    if (['FAILED', 'ABANDONED'].includes(status.status)) throw new Error(`${format} export ${status.status}: ${JSON.stringify(status.result)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A user, a gallery image and a document for the field to reference, and the field's content. */
async function setUp(call: Call, base: string): Promise<{ userKey: string; content: string; linked: number }> {
  const user = await call('POST', '/sysadmin/users', key, {
    username: 'bench', email: 'bench@lab', firstName: 'Bench', lastName: 'Mark', password: 'password123', role: 'ROLE_USER',
  });
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(Buffer.from('png'))], { type: 'image/png' }), 'gel.png');
  const gel = (await (await fetch(`${base}/files`, { method: 'POST', headers: { apiKey: user.apiKey }, body: form })).json()) as { id: number };
  const linked = (await call('POST', '/documents', user.apiKey, { name: 'Day 1' })).id as number;
  return { userKey: user.apiKey, content: contentAtLimit(gel.id, linked), linked };
}

interface Delays {
  create: number;
  export: Record<string, number>;
  /** Exporting every document made, together. */
  together: { documents: number; ms: Record<string, number> };
}

async function eventLoopDelays(): Promise<Delays> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-loop-'));
  const config = loadConfig({ ELNPORT_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ELNPORT_SYSADMIN_API_KEY: key, LOG_LEVEL: 'warn', ELNPORT_RATE_LIMIT: '1000000' });
  const server = await startServer(config);
  try {
    await ensureFirstSysadmin(server.store.db, server.store.apiKeys, key);
    const base = `${server.url}/api/v1`;
    const call = caller(base);
    const { userKey, content, linked } = await setUp(call, base);
    const body = JSON.stringify({ name: 'At the limit', fields: [{ content }] });
    const worst: Delays = { create: 0, export: { html: 0, xml: 0 }, together: { documents: 0, ms: {} } };
    const ids: number[] = [];
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const measure = async (work: () => Promise<void>): Promise<number> => {
      delay.reset();
      delay.enable();
      await work();
      delay.disable();
      return delay.max / 1e6;
    };
    for (let round = -1; round < rounds; round++) {
      const post = await clientInAnotherProcess(`${base}/documents`, userKey, body);
      let id = 0;
      const create = await measure(async () => {
        const created = await post();
        if (created.status !== 201 || created.id === null) throw new Error(`creating the document answered ${created.status}`);
        id = created.id;
      });
      ids.push(id);
      if (round >= 0) worst.create = Math.max(worst.create, create);
      for (const format of formats) {
        const exported = await measure(() => exportAndWait(call, userKey, format, [id, linked]));
        if (round >= 0) worst.export[format] = Math.max(worst.export[format]!, exported);
      }
    }
    worst.together.documents = ids.length;
    for (const format of formats) worst.together.ms[format] = await measure(() => exportAndWait(call, userKey, format, [...ids, linked]));
    return worst;
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function memoryKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function peakRss(): Promise<Record<string, { idle: number; peak: number }>> {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-rss-'));
  const { base, serve, stop } = await serverProcess(dataDir);
  const call = caller(base);
  let server = await serve();
  try {
    const { userKey, content, linked } = await setUp(call, base);
    const id = (await call('POST', '/documents', userKey, { name: 'At the limit', fields: [{ content }] })).id as number;
    const figures: Record<string, { idle: number; peak: number }> = {};
    for (const format of formats) {
      // A fresh process for each, so its high-water mark is the export's and not the save's.
      await stop(server);
      server = await serve();
      const idle = memoryKb(server.pid!, 'VmRSS');
      await exportAndWait(call, userKey, format, [id, linked]);
      figures[format] = { idle, peak: memoryKb(server.pid!, 'VmHWM') };
    }
    return figures;
  } finally {
    await stop(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const fieldMb = contentLimits.fieldBytes / 1024 / 1024;
  console.log(`\nOne document with a field at the content limit (${fieldMb} MiB, nested ${contentLimits.nestingDepth - 6} deep in part):`);
  const delays = await eventLoopDelays();
  console.log(`Worst event-loop delay over ${rounds} rounds: create ${delays.create.toFixed(0)} ms, export ${formats.map((f) => `${f} ${delays.export[f]!.toFixed(0)} ms`).join(', ')}.`);
  console.log(`Exporting all ${delays.together.documents} of them together: ${formats.map((f) => `${f} ${delays.together.ms[f]!.toFixed(0)} ms`).join(', ')}.`);
  const memory = await peakRss();
  console.log(['format', 'idle RSS MB', 'peak RSS MB', 'peak - idle MB', '× field size'].join('\t'));
  for (const format of formats) {
    const { idle, peak } = memory[format]!;
    console.log([format, (idle / 1024).toFixed(0), (peak / 1024).toFixed(0), ((peak - idle) / 1024).toFixed(0), ((peak - idle) / 1024 / fieldMb).toFixed(1)].join('\t'));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
