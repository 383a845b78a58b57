import { InvalidArgumentError, type Command } from 'commander';
import { defaultWaitTimeoutMs, ElnClient, importOf, type ImportResult, type Job } from '../client/index.js';
import { progressReporter } from '../client/progress/reporter.js';
import { CommandFailure, connection, exitCodes, followJob, jobFailureMessage, runJobCommand, usageConventions, wholeNumber } from './clientCommand.js';

const helpText = `
FILE is an RSpace XML export (.zip) or a .eln file from any ELN (eLabFTW, Kadi4Mat, SampleDB,
PASTA, RSpace, ...). It is streamed to the server, never read whole, and imported into your own
space with new ids: into a new folder named after the file, or --into a folder of yours. What
could not be carried over is listed as warnings; the import goes on past them. The job's
progress is shown on stderr; what was created is printed on stdout.

Exit codes:
  0    done: the archive was imported (warnings or none)
  1    the import failed: the job FAILED or was ABANDONED (the server's message is printed);
       nothing was imported
  2    usage: a bad option, a FILE that is missing or cannot be read (before anything is sent),
       or a request the server rejected: an unknown --into, a notebook, a file over its upload
       limit (400, 404, 413, 415, 422)
  3    authentication or permission: the key was refused, or --into is not yours (401, 403)
  4    try again later: the network or the server failed (5xx; 429, an import already running),
       or waiting timed out
  130  interrupted (Ctrl-C); an unfinished job is cancelled and nothing is imported

The server and key come from --url and --api-key, else from RSPACE_URL and RSPACE_API_KEY.
The URL is the server's root, e.g. https://eln.example.org.`;

interface ImportCommandOptions {
  into?: number;
  json?: boolean;
  url?: string;
  apiKey?: string;
  timeout: number;
}

/** "12", or the folder's global id "FL12" as the web pages show it. */
function folderId(value: string): number {
  const match = /^(?:FL)?(\d+)$/.exec(value.trim());
  if (!match || Number(match[1]) < 1 || !Number.isSafeInteger(Number(match[1]))) throw new InvalidArgumentError('Not a folder id (12 or FL12).');
  return Number(match[1]);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What a person reads after an import: where it went, what it made, and every warning. */
function importSummary(file: string, result: ImportResult): string {
  const { counts, warnings } = result;
  const made = [
    plural(counts.documents, 'document'),
    plural(counts.folders, 'folder'),
    plural(counts.notebooks, 'notebook'),
    plural(counts.revisions, 'earlier version'),
    plural(counts.comments, 'comment'),
    `${plural(counts.files + counts.filesReused, 'file')} (${counts.filesReused} already stored)`,
  ];
  return [
    `Imported ${file} (${result.format === 'eln' ? '.eln' : 'RSpace XML'}) into folder ${result.folderId}`,
    `Created ${made.join(', ')}`,
    `${plural(warnings.length, 'warning')}${warnings.length ? ':' : ''}`,
    ...warnings.map((w) => `  - ${w}`),
  ].join('\n');
}

async function runImport(file: string, options: ImportCommandOptions, signal: AbortSignal, track: (job: Job) => void): Promise<void> {
  const client = new ElnClient(connection(options));
  const progress = progressReporter(process.stderr, 'import');
  const job = await client.startImport(file, { folderId: options.into, signal, onUpload: (name, size) => progress.upload(name, size) });
  track(job);
  const finished = await followJob(client, job, options, progress, signal, track);
  if (options.json) process.stdout.write(`${JSON.stringify({ job: finished }, null, 2)}\n`);
  if (finished.status !== 'COMPLETED') throw new CommandFailure(jobFailureMessage(finished, 'import'), exitCodes.jobFailed);
  if (!options.json) console.log(importSummary(file, importOf(finished)));
}

export function registerImport(program: Command): void {
  usageConventions(program.command('import'))
    .description('import an RSpace XML archive or a .eln file into your space on an elnport server')
    .argument('<file>', 'the archive: an RSpace XML export (.zip) or a .eln file')
    .option('--into <folder>', 'import into this folder of yours, e.g. 12 or FL12 (default: a new folder named after FILE)', folderId)
    .option('--json', 'print { job } as JSON on stdout, for scripts: job.result has the counts, folderId, ids and warnings')
    .option('--url <url>', 'server root (default: $RSPACE_URL)')
    .option('--api-key <key>', 'API key (default: $RSPACE_API_KEY)')
    .option('--timeout <seconds>', 'give up waiting for the job after this long', wholeNumber(1), defaultWaitTimeoutMs / 1000)
    .addHelpText('after', helpText)
    .showHelpAfterError('(elnport import --help lists the options and exit codes)')
    .action((file: string, options: ImportCommandOptions) => runJobCommand(options, 'import', (signal, track) => runImport(file, options, signal, track)));
}
