import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveStore } from './archiveStore.js';
import { blobMeter, type BlobStore } from './blobStore.js';

/**
 * Copies blobs from one store to another under the same names, each checked by reading it back
 * from the target: its sha256 and size must be what its row records. Safe to run again: a blob
 * already in the target with the right sha256 is left as it is.
 */

/** A blob as a row names it: an attachment's key or an archive's name, with the record or job it belongs to. */
export interface BlobToCopy {
  name: string;
  ownerId: number;
  /** What the row records; null for a row that does not say (an export finished before sha256 was kept). */
  size: number | null;
  sha256: string | null;
}

/** How a kind of blob is read and written, so attachments and archives are copied and checked alike. */
export interface BlobShelf {
  open(blob: BlobToCopy): Promise<Readable>;
  /** Stores the bytes under the blob's name, whole or not at all, and returns what went in. */
  write(blob: BlobToCopy, source: Readable): Promise<{ size: number; sha256: string }>;
  remove(blob: BlobToCopy): Promise<void>;
}

export function attachmentShelf(store: BlobStore): BlobShelf {
  return {
    open: (blob) => store.open(blob.name),
    write: async (blob, source) => store.putAt(blob.name, source),
    remove: (blob) => store.delete(blob.name),
  };
}

/** Archives go in through a draft committed when whole, as an export writes them: never seen half-copied. */
export function archiveShelf(store: ArchiveStore): BlobShelf {
  return {
    open: (blob) => store.open(blob.name),
    async write(blob, source) {
      const draft = store.draft(blob.ownerId, blob.name);
      const meter = blobMeter();
      try {
        await pipeline(source, meter.transform, draft.output);
        await draft.commit();
      } catch (error) {
        await draft.discard();
        throw error;
      }
      return meter.measured();
    },
    remove: (blob) => store.delete(blob.name),
  };
}

/** The size and sha256 of what the shelf holds under the blob's name; null when nothing is there. */
async function measure(shelf: BlobShelf, blob: BlobToCopy): Promise<{ size: number; sha256: string } | null> {
  let source: Readable;
  try {
    source = await shelf.open(blob);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const meter = blobMeter();
  await pipeline(source, meter.transform, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return meter.measured();
}

export type BlobResult =
  | { outcome: 'copied' | 'present' | 'verified'; size: number }
  | { outcome: 'failed'; size: number; problem: string };

function matches(blob: BlobToCopy, found: { size: number; sha256: string }): boolean {
  return (blob.sha256 === null || found.sha256 === blob.sha256) && (blob.size === null || found.size === blob.size);
}

function describe(found: { size: number; sha256: string } | null): string {
  return found ? `${found.size} bytes, sha256 ${found.sha256}` : 'nothing there';
}

/**
 * One blob: copied from `from` to `to` unless already there, then read back from `to` and checked
 * against its row. Without `to` the blob stays where it is and is only checked there ('verified').
 */
export async function copyBlob(blob: BlobToCopy, from: BlobShelf, to: BlobShelf | null): Promise<BlobResult> {
  const recorded = `${blob.size ?? '?'} bytes, sha256 ${blob.sha256 ?? '?'}`;
  if (!to) {
    const found = await measure(from, blob);
    if (found && matches(blob, found)) return { outcome: 'verified', size: found.size };
    return { outcome: 'failed', size: found?.size ?? 0, problem: `${blob.name}: its row records ${recorded}, the store holds ${describe(found)}` };
  }
  const already = await measure(to, blob);
  if (already && blob.sha256 !== null) {
    if (matches(blob, already)) return { outcome: 'present', size: already.size };
    // Names are random (a uuid, a job's archive name), so these are not ours: another install's, or damaged.
    return { outcome: 'failed', size: already.size, problem: `${blob.name}: the target already holds other bytes under this name (${describe(already)}); left as it is` };
  }
  // A blob whose row records no sha256 is copied again: only its bytes could show it is right.
  let written: { size: number; sha256: string };
  try {
    written = await to.write(blob, await from.open(blob));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { outcome: 'failed', size: 0, problem: `${blob.name}: missing from the source store` };
  }
  if (!matches(blob, written)) {
    // Bytes that are not the row's must not stay under its name, where a later run would take them for another install's.
    await to.remove(blob);
    return { outcome: 'failed', size: written.size, problem: `${blob.name}: its row records ${recorded}, the source store held ${describe(written)}` };
  }
  const readBack = await measure(to, blob);
  if (!readBack || readBack.sha256 !== written.sha256 || readBack.size !== written.size) {
    return { outcome: 'failed', size: written.size, problem: `${blob.name}: ${describe(written)} written, ${describe(readBack)} read back from the target` };
  }
  return { outcome: 'copied', size: written.size };
}

export interface BlobTally {
  count: number;
  bytes: number;
  /** Checked by reading back: copied now, already there, or checked in place. */
  verified: number;
  copied: number;
  problems: string[];
}

/** Copies (or checks) every blob the pages give, one at a time, tallying as it goes. */
export async function copyBlobs(
  pages: AsyncIterable<BlobToCopy[]>,
  from: BlobShelf,
  to: BlobShelf | null,
  progress: (tally: BlobTally) => void,
): Promise<BlobTally> {
  const tally: BlobTally = { count: 0, bytes: 0, verified: 0, copied: 0, problems: [] };
  for await (const page of pages) {
    for (const blob of page) {
      const result = await copyBlob(blob, from, to);
      tally.count += 1;
      tally.bytes += result.size;
      if (result.outcome === 'failed') tally.problems.push(result.problem);
      else tally.verified += 1;
      if (result.outcome === 'copied') tally.copied += 1;
    }
    progress(tally);
  }
  return tally;
}
