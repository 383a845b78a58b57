import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';

export type ZipOutputStream = NodeJS.WritableStream | Writable;

/**
 * The writer's only way to its output. Counts the bytes and keeps the CRC32 and sha256 of all of
 * them (the archive's published checksums, so they are taken from exactly what is written, in
 * this one place), waits for 'drain' whenever the output asks, and remembers the first thing that
 * went wrong with it.
 */
export class ZipOutput {
  bytes = 0;
  crc32 = 0;
  private readonly hash = createHash('sha256');
  /** Set when the output errors or closes early; later writes reject with it. */
  failure: Error | undefined;
  private ended = false;
  private readonly aborter = new AbortController();

  constructor(private readonly stream: ZipOutputStream) {
    stream.on('error', (error: Error) => this.fail(error));
    stream.on('close', () => {
      if (!this.ended) this.fail(new Error('The zip output closed before the archive was finished'));
    });
  }

  /** Aborted when the output fails, so a data pipeline waiting on its source stops too. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    this.crc32 = zlib.crc32(chunk, this.crc32);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain', { signal: this.aborter.signal });
  }

  /** Resolves once the output has finished, and closed if it is the kind that closes (a file). */
  async end(): Promise<void> {
    if (this.failure) throw this.failure;
    this.ended = true;
    this.stream.end();
    await finished(this.stream);
  }

  /** Lowercase hex of everything written; ends the hash, so it is asked once, after the last write. */
  sha256(): string {
    return this.hash.digest('hex');
  }

  /**
   * Whoever reads the output (a file being renamed into place, an upload) must see the archive
   * fail, not wait for bytes that will never come.
   */
  destroy(error: Error): void {
    this.fail(error);
    if ('destroy' in this.stream && typeof this.stream.destroy === 'function') this.stream.destroy(error);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.aborter.abort(this.failure);
  }
}
