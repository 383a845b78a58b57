import path from 'node:path';
import { archiveShelf, attachmentShelf, copyBlobs, type BlobTally, type BlobToCopy } from '../blobs/copyBlobs.js';
import { openBlobStores } from '../blobs/openStores.js';
import type { StorageSettings } from '../blobs/s3Settings.js';
import { formatBytes } from '../client/progress/format.js';
import { loadConfig, type Config } from '../config.js';
import { apiKeySecretFile } from '../store/apiKeys.js';
import {
  advanceIdSequences,
  checkSchemas,
  checkTargetRows,
  compareCounts,
  copyRows,
  foreignTables,
  openSourceDatabase,
  type TableCopy,
} from '../store/copyDatabase.js';
import { openStore, sqliteFile, type Db, type Store } from '../store/db.js';
import { attachmentBlobsAfter, keptArchivesAfter, type NamedBlob } from '../store/queries/storedBlobs.js';
import { CommandFailure, exitCodes } from './clientCommand.js';

/**
 * `elnport admin migrate`: an embedded install (SQLite and the local directories in its data
 * directory) copied into PostgreSQL and/or S3-compatible storage, every row and blob checked.
 */

export interface MigrateOptions {
  toDatabaseUrl?: string;
  toBlobs?: 's3';
}

/** A PostgreSQL URL as it may be shown: without its password. */
export function withoutPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.password = '';
  return url.toString();
}

const say = (line: string) => console.error(`elnport admin migrate: ${line}`);

function where(storage: StorageSettings, dataDir: string, folder: string): string {
  if (storage.kind === 'local') return path.join(dataDir, folder);
  const { endpoint, bucket, prefix } = storage.s3;
  return `s3://${bucket}/${prefix}${folder}/${endpoint ? ` at ${endpoint}` : ''}`;
}

/** Every blob the source's rows name, a page at a time. */
async function* pages(db: Db, list: (db: Db, after: number, limit: number) => Promise<NamedBlob[]>): AsyncGenerator<BlobToCopy[]> {
  let after = 0;
  for (;;) {
    const page = await list(db, after, 100);
    if (page.length === 0) return;
    yield page;
    after = page[page.length - 1]!.ownerId;
  }
}

/** A table of text: the first column (a name) and `left` ones aligned left, the figures right. */
function table(header: string[], rows: string[][], left: number[] = []): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const cell = (text: string, i: number) => (i === 0 || left.includes(i) ? text.padEnd(widths[i]!) : text.padStart(widths[i]!));
  const line = (row: string[]) => `  ${row.map(cell).join('   ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const figure = (n: number) => n.toLocaleString('en-US');

/** What the operator must carry to the migrated site so the old API keys go on working. */
function apiKeyAdvice(config: Config): string[] {
  if (config.apiKeySecret !== null) {
    return [
      'API keys are stored as HMACs under ELNPORT_API_KEY_SECRET, which is not in the database: give every api (or all)',
      '  process of the migrated site the same ELNPORT_API_KEY_SECRET, or no old key works. Keep ELNPORT_SYSADMIN_API_KEY as it was.',
    ];
  }
  const file = apiKeySecretFile(config.dataDir);
  return [
    `API keys are stored as HMACs under a secret that is not in the database: ${file}.`,
    '  Give every api (or all) process of the migrated site that secret, or no old key works:',
    `    ELNPORT_API_KEY_SECRET="$(cat ${file})"`,
    '  (or copy the file to its ELNPORT_DATA_DIR/secrets/api-key-secret, mode 600). Keep ELNPORT_SYSADMIN_API_KEY as it was.',
  ];
}

interface Summary {
  tables: (TableCopy & { source: number; target: number })[] | null;
  blobs: { kind: string; tally: BlobTally; place: string }[];
}

function tableReport(config: Config, options: MigrateOptions, tables: Summary['tables']): string[] {
  const sqlite = sqliteFile(config.dataDir);
  if (!tables) return [`Tables: not copied (no --to-database-url); the SQLite database ${sqlite} stays as it is.`];
  const equal = (t: { source: number; target: number }) => (t.source === t.target ? 'yes' : 'NO');
  const total = (key: 'source' | 'target' | 'copied') => tables.reduce((sum, t) => sum + t[key], 0);
  const all = { source: total('source'), target: total('target') };
  return [
    `Tables: SQLite ${sqlite} -> PostgreSQL ${withoutPassword(options.toDatabaseUrl!)}`,
    table(
      ['table', 'source rows', 'target rows', 'copied now', 'equal'],
      [
        ...tables.map((t) => [t.table, figure(t.source), figure(t.target), figure(t.copied), equal(t)]),
        ['all tables', figure(all.source), figure(all.target), figure(total('copied')), tables.every((t) => t.source === t.target) ? 'yes' : 'NO'],
      ],
    ),
  ];
}

function blobReport(options: MigrateOptions, config: Config, blobs: Summary['blobs']): string[] {
  return [
    options.toBlobs
      ? 'Blobs: copied to S3, each read back from there and checked against the sha256 and size its row records'
      : 'Blobs: not copied (no --to-blobs): they stay where they are, where each was read and checked against its row' +
        (config.storage.kind === 'local' ? ';\n  only processes on this machine, with this ELNPORT_DATA_DIR, can serve them (give --to-blobs s3 for processes elsewhere)' : ''),
    table(
      ['blobs', 'count', 'bytes', 'verified', 'copied now', 'now in'],
      blobs.map(({ kind, tally, place }) => [kind, figure(tally.count), `${figure(tally.bytes)} (${formatBytes(tally.bytes)})`, figure(tally.verified), figure(tally.copied), place]),
      [5],
    ),
  ];
}

function report(config: Config, options: MigrateOptions, summary: Summary, targetStorage: StorageSettings): string {
  const out = [...tableReport(config, options, summary.tables), '', ...blobReport(options, config, summary.blobs), '', ...apiKeyAdvice(config), ''];
  const problems = summary.blobs.flatMap((b) => b.tally.problems);
  const countsEqual = summary.tables?.every((t) => t.source === t.target) ?? true;
  if (problems.length > 0 || !countsEqual) {
    out.push(`NOT DONE: ${problems.length} blob(s) failed${countsEqual ? '' : ' and some tables differ'}. Run the command again once fixed:`);
    for (const problem of problems) out.push(`  ${problem}`);
  } else {
    const env = [
      ...(summary.tables ? [`DATABASE_URL=${withoutPassword(options.toDatabaseUrl!)}`] : []),
      ...(targetStorage.kind === 's3' ? ['ELNPORT_BLOBS=s3 and the same ELNPORT_S3_* variables'] : []),
    ];
    out.push('Done: every row and every blob is there and checked. Start the migrated site with', `  ${env.join(' ')},`, `  and keep ${config.dataDir} until it serves what it should.`);
  }
  return out.join('\n');
}

export async function migrate(options: MigrateOptions): Promise<void> {
  if (!options.toDatabaseUrl && !options.toBlobs) throw new CommandFailure('Nothing to do: give --to-database-url, --to-blobs s3, or both', exitCodes.usage);
  const config = loadConfig();
  if (config.databaseUrl) {
    throw new CommandFailure('DATABASE_URL is set: this copies an embedded install (SQLite in ELNPORT_DATA_DIR); run it without DATABASE_URL', exitCodes.usage);
  }
  if (options.toBlobs && config.storage.kind === 's3') throw new CommandFailure('ELNPORT_BLOBS is s3: this install\'s blobs are on S3 already', exitCodes.usage);
  const targetStorage = options.toBlobs ? loadConfig(undefined, { blobs: options.toBlobs }).storage : config.storage;
  say(`source: ${config.dataDir} (SQLite, ${config.storage.kind === 'local' ? 'local blob directories' : 'blobs on S3'}), only read`);

  const source = openSourceDatabase(config.dataDir);
  let target: Store | undefined;
  try {
    if (options.toDatabaseUrl) {
      const foreign = await foreignTables(options.toDatabaseUrl);
      if (foreign.length > 0) {
        throw new Error(`The target database holds tables that are not elnport's (${foreign.join(', ')}): give a new, empty database; nothing was written`);
      }
      target = await openStore({ databaseUrl: options.toDatabaseUrl, dataDir: config.dataDir, apiKeySecret: config.apiKeySecret });
      say(`target: ${withoutPassword(options.toDatabaseUrl)} (schema made by this version's migrations)`);
      await checkSchemas(source, target.db);
      await checkTargetRows(source, target.db);
      say('target checked: empty, or holding only rows of this install (those are skipped)');
    }

    const from = openBlobStores(config.dataDir, config.storage);
    const to = options.toBlobs ? openBlobStores(config.dataDir, targetStorage) : null;
    const summary: Summary = { tables: null, blobs: [] };
    for (const [kind, list, folder] of [
      ['attachments', attachmentBlobsAfter, 'blobs'],
      ['archives', keptArchivesAfter, 'archives'],
    ] as const) {
      const shelf = kind === 'attachments' ? attachmentShelf : null;
      const [fromShelf, toShelf] = shelf
        ? [shelf(from.blobs), to && shelf(to.blobs)]
        : [archiveShelf(from.archives), to && archiveShelf(to.archives)];
      const place = where(targetStorage, config.dataDir, folder);
      say(`${kind}: ${to ? `copying to ${place}` : `staying in ${place}, checking them there`}`);
      const tally = await copyBlobs(pages(source, list), fromShelf, toShelf, (t) => say(`${kind}: ${figure(t.count)} done (${formatBytes(t.bytes)}), ${figure(t.copied)} copied now`));
      summary.blobs.push({ kind, tally, place: to ? place : `${place} (unchanged)` });
    }

    const blobsFailed = summary.blobs.some((b) => b.tally.problems.length > 0);
    if (target && blobsFailed) {
      say('rows: not copied, since a blob did not copy or check; mend what the summary names and run this again');
    } else if (target) {
      // Rows after blobs: a row that names a blob reaches the target only once its blob is there.
      const copies = await copyRows(source, target.db, (name, read, copied) => say(`${name}: ${figure(read)} rows read, ${figure(copied)} copied`));
      await advanceIdSequences(target.db);
      const counts = await compareCounts(source, target.db);
      summary.tables = counts.map((c) => ({ ...c, copied: copies.find((copy) => copy.table === c.table)!.copied }));
    }
    console.log(report(config, options, summary, targetStorage));
    if (blobsFailed || summary.tables?.some((t) => t.source !== t.target)) process.exitCode = 1;
  } finally {
    await target?.close();
    await source.destroy();
  }
}
