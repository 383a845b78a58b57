import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { archiveNamePattern } from '../domain/archiveNames.js';
import { draftJobId, draftName, type ArchiveDraft, type ArchiveStore, type DraftFile } from './archiveStore.js';

/**
 * Finished export archives, by name, in `<root>/`; drafts in `<root>/tmp/job-<id>-<name>.part`,
 * so that no archive is ever seen half-written and the sweeper can tell whose a draft is.
 */
export class LocalArchiveStore implements ArchiveStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  private pathOf(name: string): string {
    if (!archiveNamePattern.test(name)) throw new Error(`Not an archive name: ${name}`);
    return path.join(this.root, name);
  }

  draft(jobId: number, name: string): ArchiveDraft {
    const final = this.pathOf(name);
    const tmp = path.join(this.tmpDir, `${draftName(jobId, name)}.part`);
    const output = fs.createWriteStream(tmp, { flags: 'w' });
    return {
      output,
      async commit() {
        // The bytes must be on disk before the name says the archive is whole.
        const handle = await fs.promises.open(tmp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.promises.rename(tmp, final);
      },
      async discard() {
        output.destroy();
        await fs.promises.rm(tmp, { force: true });
      },
    };
  }

  /** The archive's size, or null when it is not there. */
  async size(name: string): Promise<number | null> {
    try {
      return (await fs.promises.stat(this.pathOf(name))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async open(name: string, range?: { start: number; end: number }): Promise<Readable> {
    const handle = await fs.promises.open(this.pathOf(name), 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(name: string): Promise<void> {
    await fs.promises.rm(this.pathOf(name), { force: true });
  }

  async drafts(): Promise<DraftFile[]> {
    const files = await fs.promises.readdir(this.tmpDir);
    return files.map((file) => ({ jobId: draftJobId(file), file }));
  }

  async removeDraft(file: string): Promise<void> {
    await fs.promises.rm(path.join(this.tmpDir, path.basename(file)), { force: true });
  }
}
