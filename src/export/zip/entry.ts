import { dosDateTime, unixSeconds, type DosDateTime } from './times.js';

/** The largest value a 4-byte size or offset field holds; it doubles as ZIP64's "look in the extra field". */
export const max32 = 0xffffffff;

/** What the headers say about one entry. CRC and sizes are filled in as its data passes. */
export interface ZipEntry {
  /** UTF-8, as general-purpose bit 11 promises. */
  readonly name: Buffer;
  readonly isDirectory: boolean;
  readonly compress: boolean;
  readonly modified: { dos: DosDateTime; unix: number | undefined };
  /**
   * Declared ZIP64 in the local header. Readers then expect 8-byte sizes in the data descriptor
   * (APPNOTE 4.3.9.2), so this cannot change once the header is written.
   */
  readonly zip64: boolean;
  localHeaderOffset: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

export function newEntry(
  name: string,
  isDirectory: boolean,
  options: { mtime?: Date; compress?: boolean; size?: number },
): ZipEntry {
  const mtime = options.mtime ?? new Date();
  if (!(mtime instanceof Date) || Number.isNaN(mtime.getTime())) throw new Error(`Zip entry ${JSON.stringify(name)}: mtime is not a valid Date`);
  const { size } = options;
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
    throw new Error(`Zip entry ${JSON.stringify(name)}: size must be a whole number of bytes, not ${size}`);
  }
  const compress = !isDirectory && options.compress !== false;
  return {
    name: Buffer.from(name, 'utf8'),
    isDirectory,
    compress,
    modified: { dos: dosDateTime(mtime), unix: unixSeconds(mtime) },
    zip64: size !== undefined && (compress ? deflateBound(size) : size) >= max32,
    localHeaderOffset: 0,
    crc32: 0,
    compressedSize: 0,
    uncompressedSize: 0,
  };
}

/**
 * The most deflate can turn `size` bytes into: incompressible data grows a little (stored
 * blocks' headers), so an entry just under 4 GiB may still need ZIP64. zlib's deflateBound()
 * (deflate.c) for the default window and memLevel, which Node uses, with a few bytes to spare.
 */
function deflateBound(size: number): number {
  return size + Math.floor(size / 4096) + Math.floor(size / 16384) + Math.floor(size / 33554432) + 13;
}

/** Whether the central directory must give this entry's sizes and offset in a ZIP64 extra field. */
export function needsZip64Extra(entry: ZipEntry): boolean {
  return entry.zip64 || entry.compressedSize >= max32 || entry.uncompressedSize >= max32 || entry.localHeaderOffset >= max32;
}
