import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type * as renderTasks from '../export/toRender.js';
import type * as walTasks from '../store/walCheckpoints.js';
import * as fieldTasks from './tasks.js';

/**
 * Each task's module, under src/ (dist/ when built). A thread loads a module the first time it
 * runs one of its tasks, so a thread that renders never loads the sanitiser, and one that only
 * checkpoints loads neither: the whole graph took a new thread 0.55 s of CPU to load, this one 9 ms.
 */
const modules = {
  prepareField: 'threads/tasks',
  plainText: 'threads/tasks',
  renderDocuments: 'export/toRender',
  loadAndRenderDocuments: 'export/toRender',
  checkpointWal: 'store/walCheckpoints',
} as const;

type Tasks = Pick<typeof fieldTasks, 'prepareField' | 'plainText'> &
  Pick<typeof renderTasks, 'renderDocuments' | 'loadAndRenderDocuments'> &
  Pick<typeof walTasks, 'checkpointWal'>;
export type TaskName = keyof typeof modules;
/** What a task gives, whether it runs inline or on a thread, where an async one's promise is settled before it crosses. */
type Result<N extends TaskName> = Awaited<ReturnType<Tasks[N]>>;
/** The tasks worked on inline when their input is small (runTask); the others always run on a thread. */
type FieldTask = keyof typeof fieldTasks;

/**
 * Input shorter than this (in UTF-16 units) is worked on inline. Sanitising 16 Ki characters of
 * dense markup took 5.9 ms inline and 7.5 ms as a round trip to a thread; 64 Ki took 27 ms inline
 * and 23 ms on a thread. Below this the event loop is held a few ms and a thread saves nothing.
 */
export const inlineBelow = 16 * 1024;

/** Whether work on input of `size` UTF-16 units is worth a thread's round trip (see inlineBelow). */
export function worthAThread(size: number): boolean {
  return size >= inlineBelow;
}

/**
 * As many threads as cores (up to 4): an export renders and deflates its documents here, and the
 * event loop's share of a 50-document batch is 1–2 ms to hand it over and take it back, against
 * 9–11 ms to render it inline (HTML, XML). With one core kept for the event loop, as before, a
 * 2-core machine rendered on one core while the other stood mostly idle. The cap is the one saves
 * had: each busy thread added 25–40 MB of RSS, and idle threads end (idleTimeout) to give it back.
 */
export const maxThreads = Math.max(1, Math.min(4, availableParallelism()));

// Run by tsx (tests, development) this module is .ts and so are the tasks'; built, all are .js.
const extension = path.extname(fileURLToPath(import.meta.url));
function fileOf(name: TaskName): string {
  return new URL(`../${modules[name]}${extension}`, import.meta.url).href;
}

/** Started on first use and shared by the process; idle threads end after 30 s. */
let pool: Piscina | undefined;

/** Small input is worked on inline (see inlineBelow); `size` is the input's length in UTF-16 units. */
export async function runTask<N extends FieldTask>(name: N, input: Parameters<Tasks[N]>[0], size: number): Promise<Result<N>> {
  if (!worthAThread(size)) return (fieldTasks[name] as (input: unknown) => Result<N>)(input);
  return runOnThread(name, input);
}

/** Always on a thread, whatever the input's size: an export's batches, which together would hold the event loop. */
export async function runOnThread<N extends TaskName>(name: N, input: Parameters<Tasks[N]>[0]): Promise<Result<N>> {
  pool ??= new Piscina({
    // A new thread loads this module for this task as it starts (default: the module's default
    // export), so it is the lightest. Under tsx only its require hook works in a worker; when the
    // export is missing piscina falls back to a plain import, which cannot read .ts. So it names
    // one that exists, and every task is run by name from a module of its own (fileOf).
    filename: fileOf('checkpointWal'),
    name: 'checkpointWal',
    minThreads: 0,
    maxThreads,
    idleTimeout: 30_000,
    // Left to V8's defaults a thread sweeps the garbage of large pages late: exporting one document
    // at the content limit raised a fresh server's RSS by 54 MB, four of them in XML by 103 MB;
    // with these, 34 and 69 MB (bench/contentLimit.ts). The cap also stops a task on content
    // stored before the limits existed from growing the process without bound: its thread ends.
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 },
  });
  const result: unknown = await pool.run(input, { name, filename: fileOf(name) }).catch((error: unknown) => {
    // A thread's error crosses as what structured cloning keeps: better-sqlite3's arrives as a bare
    // { code }, without message or stack, and a job failed with "[object Object]".
    if (error instanceof Error) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    throw Object.assign(new Error(`${name} on a worker thread failed${typeof code === 'string' ? `: ${code}` : ''}`, { cause: error }), typeof code === 'string' ? { code } : {});
  });
  // A Buffer crosses threads as a plain Uint8Array; this views the same memory as a Buffer again.
  return (result instanceof Uint8Array ? Buffer.from(result.buffer, result.byteOffset, result.byteLength) : result) as Result<N>;
}

/** Ends the threads (the server calls this when it stops); a later task starts them again. */
export async function closeThreads(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.destroy();
}
