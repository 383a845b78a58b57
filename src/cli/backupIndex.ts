/**
 * The index of a backup directory (`elnport-backups.json`): which archives `elnport backup` made
 * there and verified. Pure: reading and writing the file is the caller's business.
 */

export const indexFileName = 'elnport-backups.json';

export type BackupFormat = 'html' | 'xml' | 'eln';
const backupFormats: readonly BackupFormat[] = ['html', 'xml', 'eln'];
export type BackupScope = 'user' | 'group';

/** What was backed up, from where and as whom: an incremental backup builds only on the same kind. */
export interface BackupKind {
  /** The server's root URL. */
  server: string;
  /** The user whose key made the backup. */
  userId: number;
  format: BackupFormat;
  scope: BackupScope;
  /** The user or group id asked for; null for the key owner's own work (or lab group). */
  id: number | null;
}

export interface BackupEntry extends BackupKind {
  file: string;
  jobId: number;
  username: string;
  /** When the export was requested: the next incremental backup asks for changes since then. */
  startedAt: string;
  /** When the archive was downloaded and verified. */
  finishedAt: string;
  size: number;
  /** CRC32 of the whole file, as a decimal string (as the server reports it). */
  crc32: string;
  sha256: string;
  incremental: boolean;
  modifiedSince: string | null;
}

export interface BackupIndex {
  version: 1;
  backups: BackupEntry[];
}

export function emptyIndex(): BackupIndex {
  return { version: 1, backups: [] };
}

/**
 * Only names of this shape are ever removed by `--keep`, so an edited index cannot make the
 * command delete a file outside the directory or one it did not write.
 */
const archiveNamePattern = /^elnport-(user|group)-\d{4}-\d\d-\d\d-\d{6}(-\d+)?(-incremental)?\.(zip|eln)$/;

export function isArchiveName(name: string): boolean {
  return archiveNamePattern.test(name);
}

const isoPattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function problem(where: string, what: string): Error {
  return new Error(`${indexFileName}: ${where} ${what}`);
}

function entryOf(raw: unknown, n: number): BackupEntry {
  const where = `backups[${n}]`;
  if (!raw || typeof raw !== 'object') throw problem(where, 'is not an object');
  const e = raw as Record<string, unknown>;
  const text = (key: string, pattern?: RegExp): string => {
    const v = e[key];
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) throw problem(where, `has a bad ${key}: ${JSON.stringify(v)}`);
    return v;
  };
  const whole = (key: string): number => {
    const v = e[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw problem(where, `has a bad ${key}: ${JSON.stringify(v)}`);
    return v;
  };
  const oneOf = <T extends string>(key: string, values: readonly T[]): T => {
    const v = e[key];
    if (!values.includes(v as T)) throw problem(where, `has a bad ${key}: ${JSON.stringify(v)}`);
    return v as T;
  };
  if (typeof e.incremental !== 'boolean') throw problem(where, 'has a bad incremental');
  const modifiedSince = e.modifiedSince === null ? null : text('modifiedSince', isoPattern);
  return {
    file: text('file', archiveNamePattern),
    jobId: whole('jobId'),
    server: text('server'),
    userId: whole('userId'),
    username: text('username'),
    format: oneOf('format', backupFormats),
    scope: oneOf('scope', ['user', 'group'] as const),
    id: e.id === null ? null : whole('id'),
    startedAt: text('startedAt', isoPattern),
    finishedAt: text('finishedAt', isoPattern),
    size: whole('size'),
    crc32: text('crc32', /^\d+$/),
    sha256: text('sha256', /^[0-9a-f]{64}$/),
    incremental: e.incremental,
    modifiedSince,
  };
}

/** Parses the index, refusing anything it does not understand rather than guessing. */
export function parseIndex(text: string): BackupIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw problem('is not JSON:', error instanceof Error ? error.message : String(error));
  }
  if (!raw || typeof raw !== 'object') throw problem('the file', 'is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw problem('version', `${JSON.stringify(o.version)} is not one this elnport understands (1)`);
  if (!Array.isArray(o.backups)) throw problem('backups', 'is not a list');
  const backups = o.backups.map(entryOf);
  const names = new Set<string>();
  for (const b of backups) {
    if (names.has(b.file)) throw problem('backups', `lists ${b.file} twice`);
    names.add(b.file);
  }
  return { version: 1, backups };
}

export function serializeIndex(index: BackupIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}

function sameKind(a: BackupKind, b: BackupKind): boolean {
  return a.server === b.server && a.userId === b.userId && a.format === b.format && a.scope === b.scope && a.id === b.id;
}

/** Oldest first; the index's own order breaks ties. */
function chronological(backups: BackupEntry[]): BackupEntry[] {
  return backups
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.startedAt.localeCompare(y.b.startedAt) || x.i - y.i)
    .map(({ b }) => b);
}

/**
 * The newest backup of the same kind whose archive is still there: an incremental backup asks
 * for what changed since it was requested. `present` says whether an entry's file is on disk
 * with its recorded size, so a deleted archive is not built upon.
 */
export function incrementalBase(index: BackupIndex, kind: BackupKind, present: (entry: BackupEntry) => boolean): BackupEntry | null {
  const candidates = chronological(index.backups).filter((b) => sameKind(b, kind) && present(b));
  return candidates.at(-1) ?? null;
}

/** `elnport-<scope>-<yyyy-MM-dd-HHmmss>[-<n>][-incremental].zip` (`.eln` for that format), in UTC, not yet `taken`. */
export function archiveName(scope: BackupScope, format: BackupFormat, startedAt: Date, incremental: boolean, taken: (name: string) => boolean): string {
  const iso = startedAt.toISOString();
  const stamp = `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const suffix = `${incremental ? '-incremental' : ''}.${format === 'eln' ? 'eln' : 'zip'}`;
  let name = `elnport-${scope}-${stamp}${suffix}`;
  // Two runs within one second get distinct names rather than one overwriting the other.
  for (let n = 2; taken(name); n++) name = `elnport-${scope}-${stamp}-${n}${suffix}`;
  return name;
}

/**
 * The index with `entry` added and, when `keep` is given, only the newest `keep` backups left,
 * `entry` always among them (even if a clock set back makes it look older); `removed` lists the
 * archives dropped, to delete once the new index is safely written.
 */
export function addBackup(index: BackupIndex, entry: BackupEntry, keep: number | null): { index: BackupIndex; removed: string[] } {
  const others = chronological(index.backups.filter((b) => b.file !== entry.file));
  const cut = keep === null ? 0 : Math.max(0, others.length - (keep - 1));
  return { index: { version: 1, backups: [...others.slice(cut), entry] }, removed: others.slice(0, cut).map((b) => b.file) };
}
