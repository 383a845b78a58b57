/** An inclusive byte range, counted as HTTP's Range and Content-Range headers count it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What a `Range` header asks of `size` bytes (RFC 9110 §14): one range to send with 206,
 * 'unsatisfiable' for a 416, or null to send everything with 200. Null is also the answer to
 * what we do not serve (another unit, several ranges, bad syntax), as the RFC lets a server
 * ignore those rather than fail a download that would otherwise succeed.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const match = header === undefined ? null : /^\s*bytes=(\d*)-(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '') {
    if (last === '') return null;
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    // A suffix of an empty file is satisfiable but has no bytes that a 206 could name.
    if (size === 0) return null;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** The Content-Range of a 206, or of a 416 that tells the client the size to ask within. */
export function contentRange(range: ByteRange | 'unsatisfiable', size: number): string {
  return range === 'unsatisfiable' ? `bytes */${size}` : `bytes ${range.start}-${range.end}/${size}`;
}

/**
 * Whether a Range may be served, given the request's If-Range (RFC 9110 §13.1.5): when there is
 * none, or it names the current entity tag. Anything else (another tag, a weak one, a date) means
 * the client's partial copy may hold other bytes, so it must get the whole representation.
 */
export function ifRangeMatches(ifRange: string | undefined, etag: string): boolean {
  return ifRange === undefined || ifRange.trim() === etag;
}
