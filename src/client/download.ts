import fs from 'node:fs/promises';
import { archiveOf, type ArchiveFacts } from './archive.js';
import { ClientError, errorFromResponse, networkError } from './errors.js';
import type { Http } from './http.js';
import { PartFile } from './partFile.js';
import { sleep } from './sleep.js';
import type { DownloadOptions, DownloadResult, Job } from './types.js';

const defaultRetries = 5;
const maximumRetryDelayMs = 10_000;

/** What the first full answer told us about resuming. */
interface Resumption {
  /** Accept-Ranges: bytes was sent; RSpace sends no such header, so its downloads restart. */
  ranges: boolean;
  /** A strong ETag for If-Range, so a resumed download never splices two different files. */
  etag: string | null;
}

function strongEtag(header: string | null): string | null {
  return header && /^"[^"]*"$/.test(header.trim()) ? header.trim() : null;
}

function rangeStart(contentRange: string | null): number | null {
  const match = contentRange ? /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(contentRange.trim()) : null;
  return match ? Number(match[1]) : null;
}

/**
 * A server with ELNPORT_S3_REDIRECT answers with a redirect to a presigned URL of the archive. It
 * is followed here, not by fetch, which would send our apiKey header on to the storage service
 * (fetch drops only standard credentials such as Authorization when a redirect changes host).
 * The URL is signed for one archive, whose bytes never change under its name: Range is sent
 * again, If-Range is not (the bucket's ETag is not ours, and would only restart the download).
 */
async function followWithoutKey(http: Http, response: Response, range: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  const location = response.headers.get('location');
  if (![301, 302, 303, 307, 308].includes(response.status) || !location) return response;
  await response.body?.cancel();
  return http.fetch(new URL(location, response.url || undefined).toString(), { headers: { accept: 'application/octet-stream', ...range }, signal });
}

/** Sends a request for the rest of the archive and checks the answer is what was asked for. */
async function request(http: Http, archive: ArchiveFacts, part: PartFile, resumption: Resumption | null, signal?: AbortSignal): Promise<Response> {
  const resuming = part.received > 0 && resumption?.ranges === true;
  if (part.received > 0 && !resuming) await part.restart();
  const range: Record<string, string> = resuming ? { range: `bytes=${part.received}-` } : {};
  if (resuming && resumption?.etag) range['if-range'] = resumption.etag;
  const response = await followWithoutKey(
    http,
    await http.fetch(archive.url, { headers: http.headers({ accept: 'application/octet-stream', ...range }), redirect: 'manual', signal }),
    resuming ? { range: range.range! } : {},
    signal,
  );
  if (response.status === 200) {
    // A 200 to a Range request: the server ignored it, or the archive changed (If-Range); start again.
    if (part.received > 0) await part.restart();
    return response;
  }
  if (response.status === 206 && resuming && rangeStart(response.headers.get('content-range')) === part.received) return response;
  if (response.status === 416 && resuming) {
    await response.body?.cancel();
    throw new ClientError('verification', `The server's archive is shorter than the ${archive.size} bytes its job announced`, { status: 416 });
  }
  if (response.status === 206) {
    await response.body?.cancel();
    throw new ClientError('network', `The server resumed ${archive.name} at the wrong place (${response.headers.get('content-range')})`);
  }
  throw await errorFromResponse(response);
}

/** Appends the answer's body to the part file; a broken connection is a 'network' ClientError. */
async function receive(response: Response, archive: ArchiveFacts, part: PartFile, options: DownloadOptions): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let done = false;
  try {
    while (!done) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        options.signal?.throwIfAborted();
        throw networkError(error, `The download of ${archive.name} broke off at ${part.received} of ${archive.size} bytes`);
      }
      done = next.done;
      if (next.done) break;
      if (part.received + next.value.length > archive.size) {
        throw new ClientError('verification', `The server sent more than the ${archive.size} bytes its job announced for ${archive.name}`);
      }
      await part.append(next.value);
      options.onProgress?.(part.received, archive.size);
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
  if (part.received < archive.size) {
    throw new ClientError('network', `The download of ${archive.name} ended early, at ${part.received} of ${archive.size} bytes`);
  }
}

async function transfer(http: Http, archive: ArchiveFacts, part: PartFile, options: DownloadOptions): Promise<void> {
  const retries = options.retries ?? defaultRetries;
  let resumption: Resumption | null = null;
  for (let failures = 0; ; ) {
    try {
      const response = await request(http, archive, part, resumption, options.signal);
      if (response.status === 200) {
        resumption = { ranges: /\bbytes\b/i.test(response.headers.get('accept-ranges') ?? ''), etag: strongEtag(response.headers.get('etag')) };
      }
      await receive(response, archive, part, options);
      return;
    } catch (error) {
      if (!(error instanceof ClientError && error.kind === 'network') || failures >= retries) throw error;
      failures += 1;
      await sleep(Math.min(1000 * 2 ** (failures - 1), maximumRetryDelayMs), options.signal);
    }
  }
}

function verify(archive: ArchiveFacts, size: number, sums: { crc32: string; sha256: string }): void {
  const problem =
    size !== archive.size
      ? `${size} bytes arrived, the job announced ${archive.size}`
      : sums.crc32 !== archive.checksum
        ? `its CRC32 is ${sums.crc32}, the job announced ${archive.checksum}`
        : archive.sha256 !== undefined && sums.sha256 !== archive.sha256
          ? `its SHA-256 is ${sums.sha256}, the job announced ${archive.sha256}`
          : null;
  if (problem) throw new ClientError('verification', `The download of ${archive.name} is damaged: ${problem}`);
}

/**
 * Streams a COMPLETED job's archive to `<dest>.part`, resuming or restarting after broken
 * connections, and renames it to `dest` only once its size and CRC32 match the job's result.
 * On any failure the part file is removed and nothing is left at `dest`.
 */
export async function download(http: Http, job: Job, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const archive = archiveOf(job);
  const part = await PartFile.create(`${dest}.part`);
  try {
    await transfer(http, archive, part, options);
    const size = part.received;
    const sums = await part.finish();
    verify(archive, size, sums);
    await fs.rename(part.path, dest);
    return { path: dest, size, ...sums };
  } catch (error) {
    await part.remove();
    throw error;
  }
}
