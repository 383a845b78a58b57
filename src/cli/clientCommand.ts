import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Help, InvalidArgumentError, type Command, type CommanderError, type Option } from 'commander';
import { ClientError, ElnClient, isTerminal, jobName, type Job, type JobKind } from '../client/index.js';
import type { ProgressReporter } from '../client/progress/reporter.js';

/**
 * What `elnport export`, `import` and `backup` share as clients of a server: where the server and
 * key come from, how options are read, and one set of exit codes so a script can handle both.
 */
export const exitCodes = { done: 0, jobFailed: 1, usage: 2, refused: 3, transfer: 4, interrupted: 130 } as const;
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** A failure reported by its exit code, so the user knows what to fix. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
    readonly job: Job | null = null,
  ) {
    super(message);
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommandFailure) return error.code;
  // Anything that is not the server's answer is local I/O or the network: nothing was stored.
  if (!(error instanceof ClientError)) return exitCodes.transfer;
  switch (error.kind) {
    case 'auth':
    case 'permission':
      return exitCodes.refused;
    case 'usage':
      return exitCodes.usage;
    case 'not-found':
      // 410: the archive expired before it was fetched; running again makes a new one.
      return error.status === 410 ? exitCodes.transfer : exitCodes.usage;
    default:
      return exitCodes.transfer;
  }
}

export function wholeNumber(minimum: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError(`Not a whole number from ${minimum}.`);
    }
    return Number(value);
  };
}

/** The server's root URL, without credentials or a trailing slash, and the key: from the options, else the environment. */
export function connection(options: { url?: string; apiKey?: string }): { baseUrl: string; apiKey: string } {
  // eslint-disable-next-line no-restricted-syntax -- a client command's own settings, under the names RSpace's tools read; src/config.ts configures elnport's server, not its clients
  const { RSPACE_URL, RSPACE_API_KEY } = process.env;
  const raw = options.url ?? (RSPACE_URL || undefined);
  const apiKey = options.apiKey ?? (RSPACE_API_KEY || undefined);
  if (!raw) throw new CommandFailure('No server: give --url or set RSPACE_URL', exitCodes.usage);
  if (!apiKey) throw new CommandFailure('No API key: give --api-key or set RSPACE_API_KEY', exitCodes.usage);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CommandFailure(`--url / RSPACE_URL must be a URL, got "${raw}"`, exitCodes.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CommandFailure(`--url / RSPACE_URL must start with http:// or https://, got "${raw}"`, exitCodes.usage);
  }
  return { baseUrl: `${url.origin}${url.pathname}`.replace(/\/+$/, ''), apiKey };
}

/** Why a job that did not complete ended, in the server's words when it gave any. */
export function jobFailureMessage(job: Job, kind: JobKind = 'export'): string {
  const message = typeof job.result?.message === 'string' ? job.result.message : null;
  return job.status === 'FAILED'
    ? `${jobName(kind, job.id)} FAILED: ${message ?? 'the server gave no reason'}`
    : `${jobName(kind, job.id)} was ABANDONED (cancelled, or it could not proceed)${message ? `: ${message}` : ''}`;
}

/** What Ctrl-C leaves: an unfinished job cancelled (RSpace has no cancel: there the job runs on). */
async function interrupted(options: { url?: string; apiKey?: string }, kind: JobKind, job: Job | null): Promise<CommandFailure> {
  if (!job || isTerminal(job)) return new CommandFailure('Interrupted', exitCodes.interrupted);
  const cancelled = await new ElnClient(connection(options))
    .cancelJob(job.id)
    .then(() => true, () => false);
  return new CommandFailure(`Interrupted; ${jobName(kind, job.id).toLowerCase()} ${cancelled ? 'was cancelled' : 'could not be cancelled and runs on'}`, exitCodes.interrupted);
}

/**
 * Runs a command that starts a job, ending it with the exit code its failure calls for. `work`
 * tells `track` of every state of the job, so that Ctrl-C, which aborts `signal`, can cancel a job
 * still running: it would otherwise block the user's next one of its kind (one at a time).
 */
export async function runJobCommand(
  options: { url?: string; apiKey?: string },
  kind: JobKind,
  work: (signal: AbortSignal, track: (job: Job) => void) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const latest: { job: Job | null } = { job: null };
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    await work(controller.signal, (job) => (latest.job = job));
  } catch (error) {
    const reason = controller.signal.aborted ? await interrupted(options, kind, latest.job) : error;
    console.error(`elnport: ${reason instanceof Error ? reason.message : String(reason)}`);
    process.exitCode = exitCodeFor(reason);
  } finally {
    process.off('SIGINT', interrupt);
  }
}

/** Waits for a started job to end, its progress shown as it goes; every state is told to `track`. */
export async function followJob(
  client: ElnClient,
  job: Job,
  options: { timeout: number },
  progress: ProgressReporter,
  signal: AbortSignal,
  track: (job: Job) => void,
): Promise<Job> {
  const onUpdate = (update: Job) => {
    track(update);
    progress.job(update);
  };
  try {
    return await client.waitForJob(job.id, { timeoutMs: options.timeout * 1000, onUpdate, signal });
  } finally {
    progress.end();
  }
}

/**
 * Commander ends a usage error with exit code 1, which here means a failed job; and its help does
 * not say which options must be given. Subcommands made afterwards inherit both.
 */
export function usageConventions(command: Command): Command {
  return command
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : exitCodes.usage))
    .configureHelp({
      optionDescription(this: Help, option: Option) {
        const text = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${text} (required)` : text;
      },
    });
}

/** procfs's f_type (linux/magic.h): it lists processes and holds no files. */
const procSuperMagic = 0x9fa0;

/**
 * Checks, before any work is done, that `dir` is a directory a new file can be written in, making
 * it (and missing parents) when `create`. One level at a time: Node's recursive mkdir never returns
 * under /proc, which answers ENOENT for a parent that exists. Writability is proven by creating a
 * file, not by access(2), which says yes to root for a read-only directory or filesystem.
 */
export function usableDirectory(option: string, dir: string, create: boolean): string {
  const target = path.resolve(dir);
  const fail = (why: string) => new CommandFailure(`${option} ${target}: ${why}`, exitCodes.usage);
  const missing: string[] = [];
  let existing = target;
  let stat: fs.Stats | undefined;
  while (!stat) {
    try {
      stat = fs.statSync(existing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fail((error as Error).message);
      missing.unshift(existing);
      existing = path.dirname(existing);
    }
  }
  if (fs.statfsSync(existing).type === procSuperMagic) throw fail('is on the proc filesystem, which holds no files');
  if (!stat.isDirectory()) throw fail(existing === target ? 'is a file, not a directory' : `${existing} is a file, not a directory`);
  if (missing.length && !create) throw fail('no such directory');
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (error) {
      // Another run (two cron jobs at once) may have just made it.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(level).isDirectory()) continue;
      throw fail(`cannot create ${level}: ${(error as Error).message}`);
    }
  }
  const probe = path.join(target, `.elnport-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe);
  } catch (error) {
    throw fail(`a file cannot be written there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return target;
}
