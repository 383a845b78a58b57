import { archiveRefused } from '../domain/errors.js';

/**
 * What an uploaded archive may ask of the server, judged from its central directory before any
 * entry's bytes are read. Reading then holds every entry to the sizes it declared, so a bomb
 * whose headers lie is stopped at what it declared, which these limits have already accepted.
 */
export interface ImportLimits {
  /** Entries of every kind in the central directory: each is held in memory while the archive is listed. */
  maxEntries: number;
  /** The files' declared uncompressed bytes added up: what the import would write to the blob store. */
  maxTotalBytes: number;
  /** Declared uncompressed ÷ compressed size of one file, for files of at least `ratioCheckedFromBytes`. */
  maxRatio: number;
  /** The largest one file may be; the importer sets it to the upload limit, since a file too big to upload is too big to import. */
  maxEntryBytes?: number;
  /**
   * Folders, notebooks, documents and files the archive describes, counted once it is read: an
   * import holds what it read until it writes (about 55 KB a document, bench import-xml-N), and a
   * `.eln`'s one metadata file can describe hundreds of thousands of items in 64 MiB.
   */
  maxItems: number;
}

/** The configuration names that raise each limit, named in every refusal so an administrator knows what to change. */
export const importLimitSettings = {
  maxEntries: 'ELNPORT_IMPORT_MAX_ENTRIES',
  maxTotalBytes: 'ELNPORT_IMPORT_MAX_TOTAL_MB',
  maxRatio: 'ELNPORT_IMPORT_MAX_RATIO',
  maxEntryBytes: 'ELNPORT_MAX_UPLOAD_MB',
  maxItems: 'ELNPORT_IMPORT_MAX_ITEMS',
} as const satisfies Record<keyof ImportLimits, string>;

const MiB = 1024 * 1024;

/**
 * 100,000 entries: an RSpace XML export has a few entries a document (its XML, its form's, each
 * attachment), so this is tens of thousands of documents; listing them holds some tens of MB.
 * 20 GiB: what a lab's whole notebook plausibly holds, and a size the data disk must have free
 * anyway. Ratio 200: the fixtures' files (XML, JSON, HTML, images, instrument data) stay under
 * 40:1, while a bomb needs near deflate's ceiling of 1032:1 to be worth making.
 */
export const defaultImportLimits: ImportLimits = {
  maxEntries: 100_000,
  maxTotalBytes: 20 * 1024 * MiB,
  maxRatio: 200,
  // 20,000 documents peaked at 1.3 GB of server memory (bench import-xml-20000): a lab's project,
  // not a whole institute's notebook, which imports in parts.
  maxItems: 20_000,
};

/** Below 1 MiB a ratio means nothing: a small file of blanks is harmless however well it packs. */
export const ratioCheckedFromBytes = MiB;

/** Sizes as the settings count them (MB of 2^20 bytes), exact below that. */
export function describeBytes(bytes: number): string {
  return bytes < MiB ? `${bytes} bytes` : `${(bytes / MiB).toFixed(1)} MB`;
}

export function checkEntryCount(count: number, limits: ImportLimits): void {
  if (count <= limits.maxEntries) return;
  throw archiveRefused(
    `The archive has ${count} entries, more than the ${limits.maxEntries} an import may have ` +
      `(${importLimitSettings.maxEntries} raises it); nothing was imported`,
  );
}

/** One file's declared sizes, as its central directory record gives them. */
export function checkFileSizes(path: string, size: number, compressedSize: number, limits: ImportLimits): void {
  if (limits.maxEntryBytes !== undefined && size > limits.maxEntryBytes) {
    throw archiveRefused(
      `The archive's file "${path}" is ${describeBytes(size)}, more than the ${describeBytes(limits.maxEntryBytes)} ` +
        `one file may be (${importLimitSettings.maxEntryBytes} raises it); nothing was imported`,
    );
  }
  if (size < ratioCheckedFromBytes) return;
  const ratio = size / Math.max(compressedSize, 1);
  if (ratio <= limits.maxRatio) return;
  throw archiveRefused(
    `The archive's file "${path}" would expand from ${describeBytes(compressedSize)} to ${describeBytes(size)}, ` +
      `${Math.round(ratio)} times its compressed size, more than the ${limits.maxRatio} times allowed ` +
      `(${importLimitSettings.maxRatio} raises it); it looks like a zip bomb, and nothing was imported`,
  );
}

export function checkItemCount(count: number, limits: ImportLimits): void {
  if (count <= limits.maxItems) return;
  throw archiveRefused(
    `The archive describes ${count} folders, notebooks, documents and files, more than the ${limits.maxItems} ` +
      `one import may bring in (${importLimitSettings.maxItems} raises it, at about 55 KB of server memory each); ` +
      'import it in parts (export a folder at a time); nothing was imported',
  );
}

export function checkTotalBytes(total: number, limits: ImportLimits): void {
  if (total <= limits.maxTotalBytes) return;
  throw archiveRefused(
    `The archive's files come to ${describeBytes(total)} uncompressed, more than the ` +
      `${describeBytes(limits.maxTotalBytes)} an import may bring in (${importLimitSettings.maxTotalBytes} raises it); ` +
      'nothing was imported',
  );
}
