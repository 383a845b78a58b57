import { Transform, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { archiveRefused, ElnportError } from '../domain/errors.js';
import { InputFailure, InputReader, type RandomAccessInput } from './archiveInput.js';
import { entryPath, isMacOsClutter, lookupPath, topFolder } from './entryNames.js';
import { checkEntryCount, checkFileSizes, checkTotalBytes, describeBytes, type ImportLimits } from './limits.js';
import type { ArchiveEntry, ArchiveSource } from './source.js';

export type OpenedArchive = ArchiveSource & { close(): Promise<void> };

interface ListedFile {
  /** The entry's path below the top folder. */
  path: string;
  entry: yauzl.Entry;
}

const fileType = 0o170000;
const regularFile = 0o100000;
const directory = 0o040000;
const symbolicLink = 0o120000;
const stored = 0;
const deflated = 8;

/** A refusal for what yauzl found wrong; a failure of storage stays what it is (the server's error, not the archive's). */
function unreadable(cause: unknown): Error {
  if (cause instanceof InputFailure) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return archiveRefused(`The upload cannot be read as a zip archive (${detail}): it is not one, or it is damaged; nothing was imported`);
}

function entryRefused(path: string, why: string): ElnportError {
  return archiveRefused(`The archive's entry "${path}" ${why}; nothing was imported`);
}

/**
 * Opens an archive and checks its whole central directory before any entry's bytes are read:
 * names, kinds, encryption, compression and the limits. The central directory is all that is
 * trusted for what an entry is; reading an entry then holds it to what the directory declared.
 */
export async function openArchive(input: RandomAccessInput, limits: ImportLimits): Promise<OpenedArchive> {
  let zipfile: yauzl.ZipFile;
  try {
    // Names come raw (decodeStrings off) so that they are checked here, with messages a scientist can act on.
    zipfile = await yauzl.fromRandomAccessReaderPromise(new InputReader(input), input.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    throw unreadable(error);
  }
  try {
    checkEntryCount(zipfile.entryCount, limits);
    const files = await listFiles(zipfile, limits);
    return new ZipArchive(zipfile, files);
  } catch (error) {
    zipfile.close();
    throw error instanceof ElnportError ? error : unreadable(error);
  }
}

async function listFiles(zipfile: yauzl.ZipFile, limits: ImportLimits): Promise<{ top: string; files: ListedFile[] }> {
  const found: ListedFile[] = [];
  const seen = new Set<string>();
  let total = 0;
  for await (const entry of zipfile.eachEntry()) {
    // Strict: a backslash is kept, to be refused, rather than read as a separator.
    const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
    const path = entryPath(name);
    const type = (entry.externalFileAttributes >>> 16) & fileType;
    if (type === symbolicLink) throw entryRefused(path, 'is a symbolic link, which could point anywhere on the server');
    // Writers that are not Unix leave the type 0; anything else but a file or a folder is a device, FIFO or socket.
    if (type !== 0 && type !== regularFile && type !== directory) throw entryRefused(path, 'is not a file or a folder');
    if (entry.isEncrypted()) throw entryRefused(path, 'is encrypted; remove the password and upload it again');
    if (entry.compressionMethod !== stored && entry.compressionMethod !== deflated) {
      throw entryRefused(path, `is compressed with method ${entry.compressionMethod}, which cannot be read (only stored and deflated entries can); zip it again with ordinary compression`);
    }
    if (entry.relativeOffsetOfLocalHeader + 30 + entry.compressedSize > zipfile.fileSize) {
      throw entryRefused(path, 'lies beyond the end of the upload: the archive is truncated or damaged');
    }
    if (seen.has(path)) throw entryRefused(path, 'appears twice');
    seen.add(path);
    const isFolder = name.endsWith('/') || type === directory;
    if (isFolder || isMacOsClutter(path)) continue;
    checkFileSizes(path, entry.uncompressedSize, entry.compressedSize, limits);
    total += entry.uncompressedSize;
    found.push({ path, entry });
  }
  checkTotalBytes(total, limits);
  const top = topFolder(found.map((f) => f.path));
  const files = top ? found.map((f) => ({ ...f, path: f.path.slice(top.length + 1) })) : found;
  return { top, files };
}

/** A pass-through that checks an entry's CRC-32 once all its bytes have gone by: a truncated or altered entry fails at its end. */
function crcCheck(path: string, expected: number): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      crc = zlib.crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      done(crc === expected ? null : entryRefused(path, 'is damaged: its bytes do not match its checksum'));
    },
  });
}

class ZipArchive implements OpenedArchive {
  readonly top: string;
  readonly entries: readonly ArchiveEntry[];
  private readonly byPath: Map<string, ListedFile>;
  private readonly streams = new Set<Readable>();
  private closed = false;

  constructor(
    private readonly zipfile: yauzl.ZipFile,
    listing: { top: string; files: ListedFile[] },
  ) {
    this.top = listing.top;
    this.entries = listing.files.map((f) => ({ path: f.path, size: f.entry.uncompressedSize }));
    this.byPath = new Map(listing.files.map((f) => [f.path, f]));
  }

  async readText(path: string, maxBytes: number): Promise<string> {
    const file = this.file(path);
    if (file.entry.uncompressedSize > maxBytes) {
      throw entryRefused(file.path, `is ${describeBytes(file.entry.uncompressedSize)}, more than the ${describeBytes(maxBytes)} it may be`);
    }
    // The declared size is held while streaming, so this never gathers more than maxBytes.
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(path)) chunks.push(chunk as Buffer);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw entryRefused(file.path, 'is not UTF-8 text');
    }
  }

  async open(path: string): Promise<Readable> {
    const file = this.file(path);
    let raw: Readable;
    try {
      raw = await this.zipfile.openReadStreamPromise(file.entry);
    } catch (error) {
      throw error instanceof InputFailure ? error : entryRefused(file.path, `cannot be read (${(error as Error).message})`);
    }
    if (this.closed) {
      raw.destroy();
      throw new Error('The archive is closed');
    }
    const checked = crcCheck(file.path, file.entry.crc32);
    // yauzl's errors (more or fewer bytes than declared, a broken deflate stream) become a refusal naming the entry.
    raw.on('error', (error) =>
      checked.destroy(
        error instanceof InputFailure
          ? error
          : entryRefused(file.path, `does not hold what its header declares (${error.message}): it is damaged or a zip bomb`),
      ),
    );
    checked.on('close', () => {
      raw.destroy();
      this.streams.delete(checked);
    });
    this.streams.add(checked);
    return raw.pipe(checked);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const stream of this.streams) stream.destroy();
    this.zipfile.close();
  }

  private file(path: string): ListedFile {
    if (this.closed) throw new Error('The archive is closed');
    const file = this.byPath.get(lookupPath(path));
    if (!file) throw archiveRefused(`The archive has no file "${path}"; nothing was imported`);
    return file;
  }
}
