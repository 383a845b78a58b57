import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ClientError, ElnClient, type Job } from '../client/index.js';
import {
  addBackup,
  archiveName,
  emptyIndex,
  incrementalBase,
  indexFileName,
  isArchiveName,
  parseIndex,
  serializeIndex,
  type BackupEntry,
  type BackupFormat,
  type BackupIndex,
  type BackupKind,
  type BackupScope,
} from './backupIndex.js';

/** The exit codes `elnport export` uses, so one script can handle both commands. */
const exitCodes = { done: 0, jobFailed: 1, usage: 2, denied: 3, transfer: 4 } as const;
type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

class BackupFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly job: Job | null = null,
  ) {
    super(message);
  }
}

interface BackupOptions {
  dest: string;
  format: BackupFormat;
  scope: BackupScope;
  id?: number;
  keep?: number;
  incremental?: boolean;
  url?: string;
  apiKey?: string;
  json?: boolean;
}

function fromEnvironment(name: 'RSPACE_URL' | 'RSPACE_API_KEY'): string | undefined {
  // eslint-disable-next-line no-restricted-syntax -- the server and key to back up from are the operator's, under the names RSpace's own tools read; src/config.ts configures elnport's server, not this client
  return process.env[name] || undefined;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
    }
    return Number(value);
  };
}

function exitCodeOf(error: ClientError): ExitCode {
  switch (error.kind) {
    case 'auth':
    case 'permission':
      return exitCodes.denied;
    case 'usage':
      return exitCodes.usage;
    case 'not-found':
      // 410: the archive expired before it was fetched; running again makes a new one.
      return error.status === 410 ? exitCodes.transfer : exitCodes.usage;
    default:
      return exitCodes.transfer;
  }
}

/** The server's root URL, without credentials or a trailing slash: also how the index names it. */
function serverRoot(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BackupFailure(`--url / RSPACE_URL must be a URL, got "${raw}"`, exitCodes.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BackupFailure(`--url / RSPACE_URL must start with http:// or https://, got "${raw}"`, exitCodes.usage);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function readIndex(file: string): BackupIndex {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw new BackupFailure(`cannot read ${file}: ${(error as Error).message}`, exitCodes.usage);
  }
  try {
    return parseIndex(text);
  } catch (error) {
    throw new BackupFailure(`${(error as Error).message} (in ${path.dirname(file)}; fix or move it away)`, exitCodes.usage);
  }
}

/** Temp file, fsync, rename: a crash leaves the old index or the new one, never part of one. */
function writeIndex(dir: string, index: BackupIndex): void {
  const target = path.join(dir, indexFileName);
  const temp = path.join(dir, `.${indexFileName}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(temp, 'wx', 0o644);
    try {
      fs.writeFileSync(fd, serializeIndex(index));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

function syncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Size, CRC32 and sha256 of the file as it now lies in DIR, after forcing it to disk. */
async function measure(file: string): Promise<{ size: number; crc32: string; sha256: string }> {
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    crc = zlib.crc32(chunk, crc);
    size += chunk.length;
  }
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { size, crc32: String(crc), sha256: hash.digest('hex') };
}

function jobMessage(job: Job): string {
  const result = job.result as { message?: unknown } | null;
  const why = typeof result?.message === 'string' ? `: ${result.message}` : '';
  return job.status === 'FAILED' ? `export job ${job.id} failed${why}` : `export job ${job.id} was abandoned (cancelled on the server)${why}`;
}

interface Outcome {
  archive: string;
  entry: BackupEntry;
  removed: string[];
  warnings: string[];
}

async function backup(o: BackupOptions, log: (line: string) => void): Promise<Outcome> {
  const rawUrl = o.url ?? fromEnvironment('RSPACE_URL');
  const apiKey = o.apiKey ?? fromEnvironment('RSPACE_API_KEY');
  if (!rawUrl) throw new BackupFailure('no server: give --url or set RSPACE_URL', exitCodes.usage);
  if (!apiKey) throw new BackupFailure('no API key: give --api-key or set RSPACE_API_KEY', exitCodes.usage);
  const server = serverRoot(rawUrl);

  const dir = path.resolve(o.dest);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new BackupFailure(`--dest ${dir} is not a writable directory: ${(error as Error).message}`, exitCodes.usage);
  }
  const index = readIndex(path.join(dir, indexFileName));

  const client = new ElnClient({ baseUrl: server, apiKey });
  const me = await client.whoami();
  const kind: BackupKind = { server, userId: me.id, format: o.format, scope: o.scope, id: o.id ?? null };

  let modifiedSince: string | null = null;
  if (o.incremental) {
    const present = (b: BackupEntry) => fs.statSync(path.join(dir, b.file), { throwIfNoEntry: false })?.size === b.size;
    const base = incrementalBase(index, kind, present);
    if (base) {
      modifiedSince = base.startedAt;
      log(`incremental: records modified since ${modifiedSince} (when ${base.file} was requested)`);
    } else {
      log(`incremental: no earlier ${o.format} ${o.scope} backup of this server and user in ${dir}, so a full one`);
    }
  }

  const startedAt = new Date();
  const started = await client.startExport({
    format: o.format,
    scope: o.scope,
    ...(o.id === undefined ? {} : { id: o.id }),
    ...(modifiedSince === null ? {} : { modifiedSince }),
  });
  log(`export job ${started.id} started (${o.format}, ${o.scope}${o.id === undefined ? '' : ` ${o.id}`}, as ${me.username})`);
  let reported = '';
  const job = await client.waitForJob(started.id, {
    onUpdate: (j) => {
      const line = `${j.status} ${Math.floor(j.percentComplete / 10) * 10}%`;
      if (line !== reported) log(`export job ${j.id}: ${j.status} ${j.percentComplete}%`);
      reported = line;
    },
  });
  if (job.status !== 'COMPLETED') throw new BackupFailure(jobMessage(job), exitCodes.jobFailed, job);

  const incremental = modifiedSince !== null;
  const listed = new Set(index.backups.map((b) => b.file));
  const file = archiveName(o.scope, startedAt, incremental, (n) => listed.has(n) || fs.existsSync(path.join(dir, n)));
  const archive = path.join(dir, file);
  log(`downloading ${file}`);
  await client.download(job, archive);

  // From here the verified archive is in DIR; it stays only if it is recorded in the index.
  let recorded = false;
  try {
    const onDisk = await measure(archive);
    const expected = job.result as { size?: unknown; checksum?: unknown; sha256?: unknown };
    const mismatch = [
      onDisk.size !== expected.size && `size ${onDisk.size}, the server says ${String(expected.size)}`,
      onDisk.crc32 !== String(expected.checksum) && `CRC32 ${onDisk.crc32}, the server says ${String(expected.checksum)}`,
      typeof expected.sha256 === 'string' && onDisk.sha256 !== expected.sha256 && `sha256 ${onDisk.sha256}, the server says ${expected.sha256}`,
    ].filter(Boolean);
    if (mismatch.length) throw new BackupFailure(`${file} does not match the job's result: ${mismatch.join('; ')}`, exitCodes.transfer, job);

    const entry: BackupEntry = {
      file,
      jobId: job.id,
      server,
      userId: me.id,
      username: me.username,
      format: o.format,
      scope: o.scope,
      id: kind.id,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      ...onDisk,
      incremental,
      modifiedSince,
    };
    const next = addBackup(index, entry, o.keep ?? null);
    writeIndex(dir, next.index);
    recorded = true;

    const warnings: string[] = [];
    try {
      syncDirectory(dir);
    } catch (error) {
      warnings.push(`the new index may not be on disk yet: ${(error as Error).message}`);
    }
    for (const old of next.removed) {
      // The index is already written without it: a file that cannot go now is only wasted space.
      if (!isArchiveName(old)) continue;
      try {
        fs.rmSync(path.join(dir, old), { force: true });
        log(`removed ${old} (beyond --keep ${o.keep})`);
      } catch (error) {
        warnings.push(`could not remove ${old}: ${(error as Error).message}`);
      }
    }
    return { archive, entry, removed: next.removed, warnings };
  } finally {
    if (!recorded) fs.rmSync(archive, { force: true });
  }
}

function failureOf(error: unknown): BackupFailure {
  if (error instanceof BackupFailure) return error;
  if (error instanceof ClientError) return new BackupFailure(error.message, exitCodeOf(error));
  // Anything else is local I/O (a full disk, a directory gone): the archive was not stored.
  return new BackupFailure(error instanceof Error ? error.message : String(error), exitCodes.transfer);
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('make one verified backup archive in a directory and record it in the directory\'s index (for cron or a systemd timer)')
    .requiredOption('--dest <dir>', 'directory for the archives and their index, elnport-backups.json')
    .addOption(new Option('--format <format>', 'archive format').choices(['xml', 'html']).default('xml'))
    .addOption(new Option('--scope <scope>', 'whose work').choices(['user', 'group']).default('user'))
    .option('--id <n>', 'user or group id (default: your own work, or your lab group)', wholeNumber(1))
    .option('--keep <n>', 'afterwards keep only the newest N archives listed in the index', wholeNumber(1))
    .option('--incremental', 'only records modified since the last backup of the same kind in the directory')
    .option('--url <url>', 'server root URL (default: $RSPACE_URL)')
    .option('--api-key <key>', 'API key (default: $RSPACE_API_KEY; the environment keeps it out of `ps`)')
    .option('--json', 'print the outcome as JSON on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 backed up and verified; 1 the export job failed or was abandoned; 2 usage (bad options,\n' +
        'unusable directory or index); 3 authentication or permission refused; 4 network, verification or\n' +
        'storage failure. On any failure nothing new is left in the directory and the index is unchanged.',
    )
    // Commander's own usage errors would exit 1, which here means "the job failed".
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : exitCodes.usage))
    .action(async (o: BackupOptions) => {
      const log = (line: string) => console.error(`elnport backup: ${line}`);
      try {
        const outcome = await backup(o, log);
        for (const warning of outcome.warnings) log(`warning: ${warning}`);
        if (o.json) {
          console.log(JSON.stringify({ ok: true, archive: outcome.archive, backup: outcome.entry, removed: outcome.removed, warnings: outcome.warnings }));
        } else {
          const e = outcome.entry;
          console.log(`${outcome.archive}: verified, ${e.size} bytes, CRC32 ${e.crc32}, sha256 ${e.sha256}`);
        }
        process.exitCode = exitCodes.done;
      } catch (error) {
        const failure = failureOf(error);
        log(failure.message);
        if (o.json) console.log(JSON.stringify({ ok: false, exitCode: failure.exitCode, error: failure.message, job: failure.job }));
        process.exitCode = failure.exitCode;
      }
    });
}
