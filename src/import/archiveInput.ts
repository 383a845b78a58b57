import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { BlobStore } from '../blobs/blobStore.js';

/** An archive's bytes wherever they are, read by inclusive ranges as BlobStore.open reads them. */
export interface RandomAccessInput {
  size: number;
  read(start: number, end: number): Promise<Readable>;
}

/** An uploaded archive where the upload streamed it: the blob store, local or S3. */
export function blobInput(blobs: BlobStore, key: string, size: number): RandomAccessInput {
  return { size, read: (start, end) => blobs.open(key, { start, end }) };
}

/**
 * The upload could not be read from where it is kept (a blob store's failure, not the archive's):
 * kept apart so that it is reported as the server's error, never as a refused archive.
 */
export class InputFailure extends Error {
  constructor(cause: unknown) {
    super(`The uploaded archive could not be read from storage: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'InputFailure';
  }
}

/**
 * yauzl lists the central directory with two small reads an entry (46 bytes, then the name);
 * from S3 each read would be a request. Reads are served from one window of this size, so
 * 100,000 entries (some 10 MB of directory) take about 160 range requests, not 200,000.
 */
const readAhead = 64 * 1024;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** yauzl's view of an input: entries' bytes as ranges, the directory through the read-ahead window. */
export class InputReader extends yauzl.RandomAccessReader {
  private window: { start: number; bytes: Buffer } | undefined;

  constructor(private readonly input: RandomAccessInput) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // yauzl's end is exclusive and it never asks for nothing; the input's end is inclusive.
    const through = new PassThrough();
    this.input.read(start, end - 1).then(
      (source) => {
        if (through.destroyed) return void source.destroy();
        source.on('error', (error) => through.destroy(new InputFailure(error)));
        // yauzl destroys what it was given when a reader gives up early; the store's stream goes with it.
        through.on('close', () => source.destroy());
        source.pipe(through);
      },
      (error: unknown) => through.destroy(new InputFailure(error)),
    );
    return through;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.bytesAt(position, length).then(
      (bytes) => {
        bytes.copy(buffer, offset);
        callback(null);
      },
      (error: unknown) => callback(error as Error),
    );
  }

  private async bytesAt(position: number, length: number): Promise<Buffer> {
    const w = this.window;
    if (w && position >= w.start && position + length <= w.start + w.bytes.length) {
      return w.bytes.subarray(position - w.start, position - w.start + length);
    }
    if (position + length > this.input.size) throw new Error('unexpected end of the archive');
    const end = Math.min(this.input.size, position + Math.max(length, readAhead));
    let bytes: Buffer;
    try {
      bytes = await bytesOf(await this.input.read(position, end - 1));
    } catch (error) {
      throw new InputFailure(error);
    }
    // The input's size is the store's, so fewer bytes than it promised are the store's fault too.
    if (bytes.length !== end - position) throw new InputFailure(`read ${bytes.length} bytes at ${position}, expected ${end - position}`);
    this.window = { start: position, bytes };
    return bytes.subarray(0, length);
  }
}
