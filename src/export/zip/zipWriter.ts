import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { CentralDirectoryRecords } from './centralDirectory.js';
import { directoryEntry, max32, preparedEntry, streamEntry, type ZipEntry } from './entry.js';
import {
  dataDescriptor,
  endOfCentralDirectoryRecord,
  localFileHeader,
  needsZip64End,
  zip64EndOfCentralDirectoryLocator,
  zip64EndOfCentralDirectoryRecord,
  type CentralDirectory,
} from './headers.js';
import { entryName } from './names.js';
import { ZipOutput } from './output.js';
import { prepareEntry, type PreparedEntry } from './prepared.js';

export interface ZipEntryOptions {
  /** Modification time; default now. Written as DOS local time and as UTC (extended timestamp). */
  mtime?: Date;
  /** Default true: deflate (level 6); false: stored. Directories are always stored. */
  compress?: boolean;
}

export interface ZipSummary {
  entries: number;
  /** Size of the whole archive. */
  bytes: number;
  /** CRC32 of the whole archive, taken from the bytes as they were written. */
  crc32: number;
  /** sha256 of the whole archive, lowercase hex, taken with the CRC32. */
  sha256: string;
}

/** One entry is written at a time; once anything fails the writer stays failed. */
type WriterState =
  | { kind: 'ready' }
  | { kind: 'writing'; name: string }
  | { kind: 'finishing' }
  | { kind: 'finished' }
  | { kind: 'failed'; error: Error };

/**
 * Writes a zip archive to a stream, entry by entry, never holding a streamed entry's data in memory:
 *
 *   per entry, as it is added:  local file header, data, [data descriptor (streams only)]
 *   on finish():                central directory headers, [ZIP64 end record and locator], end record
 *
 * An entry prepared elsewhere (addPrepared(), and addBuffer() up to 1 MiB) has its CRC and sizes
 * in its local header. A stream's are known only at its end, so they follow in a data descriptor.
 * Every write waits for the output to drain, so memory does not grow with entry size; per entry
 * the writer keeps only its central directory header's bytes (CentralDirectoryRecords).
 *
 * ZIP64 is used where needed, but the local header is written before the data, so an entry must
 * be known to be big before it starts: addPrepared() and addBuffer() know, addStream() knows when
 * given `size`. A stream without `size` is taken to be under 4 GiB, and the call fails if it
 * turns out not to be.
 *
 * If a source or the output fails, the pending call rejects, the output is destroyed with the
 * error, and every later call rejects.
 */
export class ZipWriter {
  private state: WriterState = { kind: 'ready' };
  private readonly output: ZipOutput;
  private readonly directory = new CentralDirectoryRecords();

  constructor(output: NodeJS.WritableStream | Writable) {
    this.output = new ZipOutput(output);
  }

  /** Bytes written to output so far. */
  get bytesWritten(): number {
    return this.output.bytes;
  }

  /** Adds `name/`; name without trailing slash is fine too. */
  async addDirectory(name: string, options: ZipEntryOptions = {}): Promise<void> {
    await this.add(name, true, (archiveName) => ({ entry: directoryEntry(archiveName, options.mtime) }));
  }

  /** Prepared here (prepareEntry(), as a worker thread prepares a page) up to 1 MiB; streamed above that. */
  async addBuffer(name: string, data: Buffer | string, options: ZipEntryOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length > inlineLimit) return this.addStream(name, Readable.from([bytes]), { ...options, size: bytes.length });
    await this.add(name, false, (archiveName) => {
      const prepared = prepareEntry(name, bytes, options.compress !== false);
      return { entry: preparedEntry(archiveName, prepared, options.mtime), data: prepared.data };
    });
  }

  /** An entry whose CRC and sizes were worked out elsewhere (prepareEntry(), on a worker thread); its data is written as it is. */
  async addPrepared(name: string, entry: Omit<PreparedEntry, 'path'>, options: Pick<ZipEntryOptions, 'mtime'> = {}): Promise<void> {
    await this.add(name, false, (archiveName) => ({ entry: preparedEntry(archiveName, entry, options.mtime), data: entry.data }));
  }

  /**
   * `size`, when known, lets the writer decide on ZIP64 for this entry up front; the stream must
   * then yield exactly that many bytes. Without it the entry must stay under 4 GiB.
   */
  async addStream(name: string, source: Readable, options: ZipEntryOptions & { size?: number } = {}): Promise<void> {
    await this.add(name, false, (archiveName) => ({ entry: streamEntry(archiveName, options), data: source, size: options.size }));
  }

  /** Writes the central directory and end records and ends `output`; resolves after output has finished. */
  async finish(): Promise<ZipSummary> {
    this.assertReady('finish the zip');
    this.state = { kind: 'finishing' };
    const { entries } = this.directory;
    try {
      const offset = this.output.bytes;
      for (const records of this.directory.take()) await this.output.write(records);
      const directory: CentralDirectory = { entries, offset, size: this.output.bytes - offset };
      if (needsZip64End(directory)) {
        const recordOffset = this.output.bytes;
        await this.output.write(zip64EndOfCentralDirectoryRecord(directory));
        await this.output.write(zip64EndOfCentralDirectoryLocator(recordOffset));
      }
      await this.output.write(endOfCentralDirectoryRecord(directory));
      await this.output.end();
    } catch (error) {
      throw this.fail(error, 'Could not finish the zip');
    }
    this.state = { kind: 'finished' };
    return { entries, bytes: this.output.bytes, crc32: this.output.crc32, sha256: this.output.sha256() };
  }

  /**
   * `describe` gets the checked name and gives the entry; it may throw (a bad option), which
   * refuses this entry before a byte is written and leaves the writer ready.
   */
  private async add(
    name: string,
    isDirectory: boolean,
    describe: (archiveName: Buffer) => { entry: ZipEntry; data?: Uint8Array | Readable; size?: number },
  ): Promise<void> {
    this.assertReady(`add ${JSON.stringify(name)}`);
    const archiveName = entryName(name, isDirectory);
    const nameBytes = Buffer.from(archiveName, 'utf8');
    if (this.directory.has(nameBytes)) throw new Error(`Zip entry name ${JSON.stringify(archiveName)} is already in the archive`);
    const { entry, data, size } = describe(nameBytes);

    this.state = { kind: 'writing', name: archiveName };
    try {
      entry.localHeaderOffset = this.output.bytes;
      await this.output.write(localFileHeader(entry));
      if (data instanceof Readable) {
        await this.writeStream(entry, data);
        if (size !== undefined && entry.uncompressedSize !== size) {
          throw new Error(`its source gave ${entry.uncompressedSize} bytes where ${size} were announced`);
        }
        await this.output.write(dataDescriptor(entry));
      } else if (data && data.length > 0) {
        await this.output.write(data);
      }
    } catch (error) {
      throw this.fail(error, `Could not add ${JSON.stringify(archiveName)} to the zip`);
    }
    this.directory.add(entry);
    this.state = { kind: 'ready' };
  }

  /** Source → CRC and size → deflate (unless stored) → compressed size → output, at the output's pace. */
  private async writeStream(entry: ZipEntry, data: Readable): Promise<void> {
    const measure = async function* (chunks: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
      for await (const chunk of chunks) {
        const bytes = asBuffer(chunk);
        if (bytes.length === 0) continue;
        entry.crc32 = zlib.crc32(bytes, entry.crc32);
        entry.uncompressedSize += bytes.length;
        assertDescribable(entry, entry.uncompressedSize);
        yield bytes;
      }
    };
    const write = async (chunks: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of chunks) {
        entry.compressedSize += chunk.length;
        assertDescribable(entry, entry.compressedSize);
        await this.output.write(chunk);
      }
    };
    const options = { signal: this.output.signal };
    if (entry.compress) await pipeline(data, measure, zlib.createDeflateRaw({ level: 6 }), write, options);
    else await pipeline(data, measure, write, options);
  }

  private assertReady(action: string): void {
    const { state } = this;
    switch (state.kind) {
      case 'ready':
        return;
      case 'writing':
        throw new Error(`Cannot ${action} while ${JSON.stringify(state.name)} is being written: entries go one at a time`);
      case 'finishing':
        throw new Error(`Cannot ${action}: the zip is being finished`);
      case 'finished':
        throw new Error(`Cannot ${action}: the zip is already finished`);
      case 'failed':
        throw new Error(`Cannot ${action}: the zip writer failed earlier (${state.error.message})`, { cause: state.error });
    }
  }

  /** Leaves the writer failed for good and returns the error for the pending call to reject with. */
  private fail(error: unknown, context: string): Error {
    // An output failure aborts the data pipeline with an AbortError; the output's own error says more.
    const cause = this.output.failure ?? (error instanceof Error ? error : new Error(String(error)));
    this.state = { kind: 'failed', error: cause };
    this.output.destroy(cause);
    return new Error(`${context}: ${cause.message}`, { cause });
  }
}

/**
 * Buffers up to this size are deflated in one synchronous call: a stream pipeline per entry cost
 * more than the deflating itself, and an archive holds thousands of small entries. Larger ones
 * stream, so the event loop never stalls long.
 */
const inlineLimit = 1024 * 1024;

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a zip entry's source must give bytes or strings, not ${typeof chunk}`);
}

/** An entry not declared ZIP64 has 4-byte sizes in its data descriptor: past that it cannot be described. */
function assertDescribable(entry: ZipEntry, size: number): void {
  if (!entry.zip64 && size >= max32) {
    throw new Error('the entry reached 4 GiB but its size was not given up front, so it was not written as ZIP64; pass `size` to addStream() for entries that may be this large');
  }
}
