import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  archiveOf,
  defaultWaitTimeoutMs,
  ElnClient,
  type DownloadResult,
  type ExportFormat,
  type ExportScope,
  type Job,
} from '../client/index.js';
import { formatBytes } from '../client/progress/format.js';
import { progressReporter, silentReporter } from '../client/progress/reporter.js';
import { CommandFailure, connection, exitCodes, followJob, jobFailureMessage, runJobCommand, usableDirectory, usageConventions, wholeNumber } from './clientCommand.js';

const exitCodeHelp = `
Exit codes:
  0    done: the archive is saved and its size and CRC32 verified (with --no-wait: the job started)
  1    the export failed: the job FAILED or was ABANDONED (the server's message is printed)
  2    usage: a bad option, an --out that cannot be written or (without --force) already exists,
       or a request the server rejected as invalid or unknown (400, 404, 422)
  3    authentication or permission: the key was refused, or the export is not allowed (401, 403)
  4    try again later: the network or the server failed (5xx; 429, an export already running),
       waiting timed out, the archive expired unfetched (410), the download did not verify,
       or the file could not be written; nothing is left at --out
  130  interrupted (Ctrl-C); an unfinished job is cancelled

The server and key come from --url and --api-key, else from RSPACE_URL and RSPACE_API_KEY
(the names RSpace's own tools read). The URL is the server's root, e.g. https://rspace.example.org.`;

interface ExportOptions {
  format: ExportFormat;
  scope: ExportScope;
  id?: number;
  select?: number[];
  revisions?: boolean;
  linkLevel?: number;
  modifiedSince?: string;
  out?: string;
  force?: boolean;
  wait: boolean;
  json?: boolean;
  quiet?: boolean;
  url?: string;
  apiKey?: string;
  timeout: number;
}

/** "1,2,3"; global ids (SD12, FL3) too, as RSpace shows them. */
function recordIds(value: string): number[] {
  return value.split(',').map((word) => {
    const match = /^\s*(?:[A-Z]{2})?(\d+)\s*$/.exec(word);
    if (!match) throw new InvalidArgumentError(`"${word}" is not a record id.`);
    return Number(match[1]);
  });
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('Not an ISO-8601 date or date-time.');
  return value;
}

function clientFor(options: ExportOptions): ElnClient {
  return new ElnClient(connection(options));
}

/**
 * Where the archive goes: `file` when --out names one; otherwise (file null) the archive's own
 * name, not known until the job is done, in `dir`: --out as a directory, or here.
 */
async function destination(out: string | undefined): Promise<{ dir: string; file: string | null }> {
  if (out === undefined) return { dir: usableDirectory('the current directory', '.', false), file: null };
  if ((await fs.stat(out).catch(() => null))?.isDirectory()) return { dir: usableDirectory('--out', out, false), file: null };
  const file = path.resolve(out);
  return { dir: usableDirectory('--out', path.dirname(file), false), file };
}

async function refuseToOverwrite(file: string, force: boolean | undefined): Promise<void> {
  if (force || !(await fs.lstat(file).catch(() => null))) return;
  throw new CommandFailure(`--out ${file} already exists; give --force to overwrite it`, exitCodes.usage);
}

/** `track` hears of every state of the job, so an interrupt knows whether there is a job to cancel. */
async function runExport(options: ExportOptions, signal: AbortSignal, track: (job: Job) => void): Promise<void> {
  if ((options.scope === 'selection') !== (options.select !== undefined)) {
    throw new CommandFailure('--select goes with --scope selection, and --scope selection needs --select', exitCodes.usage);
  }
  const client = clientFor(options);
  // Checked before the export starts: a bad --out found after a long export would waste it.
  const place = await destination(options.out);
  if (place.file) await refuseToOverwrite(place.file, options.force);
  const progress = options.quiet ? silentReporter : progressReporter(process.stderr);
  const print = (value: object) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const say = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  const job = await client.startExport({
    format: options.format,
    scope: options.scope,
    id: options.id,
    selections: options.select,
    includeRevisionHistory: options.revisions,
    maxLinkLevel: options.linkLevel,
    modifiedSince: options.modifiedSince,
  });
  track(job);
  if (!options.wait) {
    if (options.json) print({ job });
    else say(`Started export job ${job.id} (${job.status}); follow it at ${job._links[0]?.link ?? `/jobs/${job.id}`}`);
    return;
  }
  const finished = await followJob(client, job, options, progress, signal, track);
  if (finished.status !== 'COMPLETED') {
    if (options.json) print({ job: finished });
    throw new CommandFailure(jobFailureMessage(finished), exitCodes.jobFailed);
  }
  const archive = archiveOf(finished);
  const dest = place.file ?? path.join(place.dir, archive.name);
  // Again: the archive's own name is known only now, and a file may have appeared meanwhile.
  await refuseToOverwrite(dest, options.force);
  let saved: DownloadResult;
  try {
    saved = await client.download(finished, dest, { signal, onProgress: (received, total) => progress.download(archive.name, received, total) });
  } finally {
    progress.end();
  }
  if (options.json) print({ job: finished, ...saved });
  else say(`Saved ${saved.path} (${formatBytes(saved.size)}; size and CRC32 verified)`);
}

export function registerExport(program: Command): void {
  usageConventions(program.command('export'))
    .description('export work from an elnport or RSpace server to a verified archive')
    .addOption(new Option('--format <format>', 'archive format').choices(['html', 'xml', 'eln']).makeOptionMandatory())
    .addOption(new Option('--scope <scope>', "whose work: a user's, a group's, or chosen records").choices(['user', 'group', 'selection']).makeOptionMandatory())
    .option('--id <n>', 'the user (scope user) or group (scope group); default: your own', wholeNumber(1))
    .option('--select <ids>', 'record ids for scope selection, e.g. 12,34 or SD12,FL34', recordIds)
    .option('--revisions', 'include earlier versions of documents')
    .option('--link-level <n>', 'how far to follow links between documents (server default 1)', wholeNumber(0))
    .option('--modified-since <iso>', 'only records modified at or after this date (elnport extension)', isoDate)
    .option('--out <path>', "where to save: a file, or a directory for the archive's own name (default: here)")
    .option('--force', 'overwrite a file already at the destination (without it: exit 2 before the export starts)')
    .option('--no-wait', 'start the job, print it and exit')
    .addOption(new Option('--json', 'print { job, path, size, crc32, sha256 } as JSON on stdout, for scripts (not with --quiet)').conflicts('quiet'))
    .option('--quiet', 'for cron: nothing on stdout and no progress; only errors, on stderr')
    .option('--url <url>', 'server root (default: $RSPACE_URL)')
    .option('--api-key <key>', 'API key (default: $RSPACE_API_KEY)')
    .option('--timeout <seconds>', 'give up waiting for the job after this long', wholeNumber(1), defaultWaitTimeoutMs / 1000)
    .addHelpText('after', exitCodeHelp)
    .showHelpAfterError('(elnport export --help lists the options and exit codes)')
    .action((options: ExportOptions) => runJobCommand(options, 'export', (signal, track) => runExport(options, signal, track)));
}
