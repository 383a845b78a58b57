import { createHash, type Hash } from 'node:crypto';
import zlib from 'node:zlib';

/** CRC32 (what RSpace publishes) and SHA-256, computed as the bytes pass rather than by reading the file again. */
export class ArchiveDigest {
  private crc = 0;
  private sha: Hash = createHash('sha256');

  update(chunk: Uint8Array): void {
    this.crc = zlib.crc32(chunk, this.crc);
    this.sha.update(chunk);
  }

  reset(): void {
    this.crc = 0;
    this.sha = createHash('sha256');
  }

  /** The CRC32 as a decimal string, RSpace's wire form, and the SHA-256 in hex. */
  finish(): { crc32: string; sha256: string } {
    return { crc32: String(this.crc), sha256: this.sha.digest('hex') };
  }
}
