import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobKeyPattern, blobMeter, newBlobKey, type BlobStore, type StoredBlob } from './blobStore.js';

/**
 * Blobs as files under `<root>/<2 hex>/<uuid>`. Each is written to `<root>/tmp/` first and
 * renamed into place when whole, so a crash never leaves a half-written blob under a real key.
 */
export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  private pathOf(key: string): string {
    // Keys are ours, but a path must never be built from anything else.
    if (!blobKeyPattern.test(key)) throw new Error(`Not a blob key: ${key}`);
    return path.join(this.root, key);
  }

  async put(source: Readable): Promise<StoredBlob> {
    return this.putAt(newBlobKey(), source);
  }

  async putAt(key: string, source: Readable): Promise<StoredBlob> {
    const final = this.pathOf(key);
    const tmp = path.join(this.tmpDir, path.basename(key));
    const meter = blobMeter();
    const sink = fs.createWriteStream(tmp, { flags: 'wx' });
    try {
      await pipeline(source, meter.transform, sink);
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      await fs.promises.rename(tmp, final);
    } catch (error) {
      // A failing source can settle the pipeline while the sink is still creating the file, which
      // would then outlive the removal; the sink closes only once its file is open.
      if (!sink.closed) await new Promise<void>((closed) => sink.once('close', () => closed()));
      await fs.promises.rm(tmp, { force: true });
      throw error;
    }
    return { key, ...meter.measured() };
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    // Opening first turns a missing blob into a rejected promise rather than a later stream error.
    const handle = await fs.promises.open(file, 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await fs.promises.rm(this.pathOf(key), { force: true });
  }
}
