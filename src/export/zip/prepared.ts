import zlib from 'node:zlib';

/**
 * An entry whose CRC and sizes are known before it is written: made by a worker thread (or inline)
 * apart from the writer, so the deflating runs on another core while the zip stays in order.
 * Cloneable, so it crosses threads as it is.
 */
export interface PreparedEntry {
  path: string;
  crc32: number;
  /** Uncompressed size. */
  size: number;
  compressed: boolean;
  /** Raw deflate at level 6 when `compressed`, else the bytes themselves. */
  data: Uint8Array;
}

/** Level 6, as `zip -6` and the writer's streamed entries use: the archive is the same whichever path an entry took. */
const level = 6;

/** Pure, so its output for the same input is the same on any thread: a parallel build equals a sequential one byte for byte. */
export function prepareEntry(path: string, data: string | Uint8Array, compress: boolean): PreparedEntry {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return {
    path,
    crc32: zlib.crc32(bytes),
    size: bytes.length,
    compressed: compress,
    data: compress ? zlib.deflateRawSync(bytes, { level }) : bytes,
  };
}
