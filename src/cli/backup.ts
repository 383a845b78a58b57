import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { ElnClient } from '../client/index.js';
import { CommandFailure, connection, exitCodeFor, exitCodes, jobFailureMessage, usableDirectory, usageConventions, wholeNumber } from './clientCommand.js';
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
  quiet?: boolean;
}

function readIndex(file: string): BackupIndex {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw new CommandFailure(`cannot read ${file}: ${(error as Error).message}`, exitCodes.usage);
  }
  try {
    return parseIndex(text);
  } catch (error) {
    throw new CommandFailure(`${(error as Error).message} (in ${path.dirname(file)}; fix or move it away)`, exitCodes.usage);
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

/** Forces a file's bytes, or a directory's entries, to disk. */
async function syncToDisk(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface Outcome {
  archive: string;
  entry: BackupEntry;
  removed: string[];
  warnings: string[];
}

async function backup(o: BackupOptions, log: (line: string) => void): Promise<Outcome> {
  const { baseUrl: server, apiKey } = connection(o);

  const dir = usableDirectory('--dest', o.dest, true);
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
  if (job.status !== 'COMPLETED') throw new CommandFailure(jobFailureMessage(job), exitCodes.jobFailed, job);

  const incremental = modifiedSince !== null;
  const listed = new Set(index.backups.map((b) => b.file));
  const file = archiveName(o.scope, o.format, startedAt, incremental, (n) => listed.has(n) || fs.existsSync(path.join(dir, n)));
  const archive = path.join(dir, file);
  log(`downloading ${file}`);
  // The client verified size and CRC32 (and sha256) as the bytes passed, before the rename.
  const saved = await client.download(job, archive);

  // From here the verified archive is in DIR; it stays only if it is recorded in the index.
  let recorded = false;
  try {
    await syncToDisk(archive);
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
      size: saved.size,
      crc32: saved.crc32,
      sha256: saved.sha256,
      incremental,
      modifiedSince,
    };
    const next = addBackup(index, entry, o.keep ?? null);
    writeIndex(dir, next.index);
    recorded = true;

    const warnings: string[] = [];
    try {
      await syncToDisk(dir);
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

export function registerBackup(program: Command): void {
  usageConventions(program.command('backup'))
    .description('make one verified backup archive in a directory and record it in the directory\'s index (for cron or a systemd timer)')
    .requiredOption('--dest <dir>', 'directory for the archives and their index, elnport-backups.json')
    .addOption(new Option('--format <format>', 'archive format').choices(['xml', 'html', 'eln']).default('xml'))
    .addOption(new Option('--scope <scope>', 'whose work').choices(['user', 'group']).default('user'))
    .option('--id <n>', 'user or group id (default: your own work, or your lab group)', wholeNumber(1))
    .option('--keep <n>', 'afterwards keep only the newest N archives listed in the index', wholeNumber(1))
    .option('--incremental', 'only records modified since the last backup of the same kind in the directory')
    .option('--url <url>', 'server root URL (default: $RSPACE_URL)')
    .option('--api-key <key>', 'API key (default: $RSPACE_API_KEY; the environment keeps it out of `ps`)')
    .addOption(new Option('--json', 'print the outcome as JSON on stdout; progress still goes to stderr (not with --quiet)').conflicts('quiet'))
    // cron mails whatever a job prints: a backup that worked should say nothing.
    .option('--quiet', 'for cron: nothing on stdout, and only errors and warnings on stderr')
    .addHelpText(
      'after',
      '\nExit codes: 0 backed up and verified; 1 the export job failed or was abandoned; 2 usage (bad options,\n' +
        'unusable directory or index); 3 authentication or permission refused; 4 network, verification or\n' +
        'storage failure. On any failure nothing new is left in the directory and the index is unchanged.',
    )
    .action(async (o: BackupOptions) => {
      const report = (line: string) => console.error(`elnport backup: ${line}`);
      try {
        const outcome = await backup(o, o.quiet ? () => undefined : report);
        for (const warning of outcome.warnings) report(`warning: ${warning}`);
        if (o.json) {
          console.log(JSON.stringify({ ok: true, archive: outcome.archive, backup: outcome.entry, removed: outcome.removed, warnings: outcome.warnings }));
        } else if (!o.quiet) {
          const e = outcome.entry;
          console.log(`${outcome.archive}: verified, ${e.size} bytes, CRC32 ${e.crc32}, sha256 ${e.sha256}`);
        }
        process.exitCode = exitCodes.done;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const code = exitCodeFor(error);
        report(message);
        if (o.json) console.log(JSON.stringify({ ok: false, exitCode: code, error: message, job: error instanceof CommandFailure ? error.job : null }));
        process.exitCode = code;
      }
    });
}
