import fs from 'node:fs/promises';
import { ArchiveDigest } from './digest.js';

/** `<dest>.part`: the bytes received so far and their running checksums, kept in step. */
export class PartFile {
  received = 0;
  private readonly digest = new ArchiveDigest();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
  ) {}

  static async create(path: string): Promise<PartFile> {
    return new PartFile(path, await fs.open(path, 'w'));
  }

  async append(chunk: Uint8Array): Promise<void> {
    // Written at its offset, so a restart that truncates cannot leave a stale file position behind.
    await this.handle.write(chunk, 0, chunk.length, this.received);
    this.digest.update(chunk);
    this.received += chunk.length;
  }

  async restart(): Promise<void> {
    await this.handle.truncate(0);
    this.digest.reset();
    this.received = 0;
  }

  /** Closes the file and gives the checksums of everything received. */
  async finish(): Promise<{ crc32: string; sha256: string }> {
    await this.close();
    return this.digest.finish();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  async remove(): Promise<void> {
    await this.close();
    await fs.rm(this.path, { force: true });
  }
}
