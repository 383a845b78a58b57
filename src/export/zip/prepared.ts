import { createHash } from 'node:crypto';
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
  /** Of the uncompressed bytes, lowercase hex, when asked for: a `.eln` archive's metadata names each page's. */
  sha256?: string;
}

/** Level 6, as `zip -6` and the writer's streamed entries use: the archive is the same whichever path an entry took. */
const level = 6;

/**
 * Where a page to be deflated is encoded: one buffer for the thread, reused, since only what the
 * bytes deflate to is kept. A fresh Buffer per page was 0.13 s of a 5,000-document export's 3.1 s
 * (issue 9). Pages too large for it get their own.
 */
const scratch = Buffer.allocUnsafe(1024 * 1024);

function utf8(text: string, kept: boolean): Uint8Array {
  // UTF-8 takes at most three bytes per UTF-16 code unit.
  if (kept || text.length * 3 > scratch.length) return Buffer.from(text, 'utf8');
  return scratch.subarray(0, scratch.write(text, 'utf8'));
}

/**
 * Deflate's output chunk is 16 KiB unless told otherwise, a fresh allocation per entry: sized to
 * the input instead, preparing 5,000 pages took 0.37 s of CPU, not 0.46 s (issue 9). Pages
 * deflate to a quarter of their size or less, so half the input is one chunk for them; what
 * deflates worse takes more chunks, and the bytes are the same whatever the chunk size.
 */
function deflated(bytes: Uint8Array): Buffer {
  return zlib.deflateRawSync(bytes, { level, chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, (bytes.length >> 1) + 64) });
}

/** Pure, so its output for the same input is the same on any thread: a parallel build equals a sequential one byte for byte. */
export function prepareEntry(path: string, data: string | Uint8Array, compress: boolean, withSha256 = false): PreparedEntry {
  const bytes = typeof data === 'string' ? utf8(data, !compress) : data;
  return {
    path,
    crc32: zlib.crc32(bytes),
    size: bytes.length,
    compressed: compress,
    data: compress ? deflated(bytes) : bytes,
    sha256: withSha256 ? createHash('sha256').update(bytes).digest('hex') : undefined,
  };
}
