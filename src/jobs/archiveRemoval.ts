import { isoNow } from '../domain/time.js';
import { markArchiveDeleted } from '../store/queries/jobLifecycle.js';
import type { JobParts } from './parts.js';

/**
 * Removes an archive's file and, when a job names it (`jobId`), records on that job that it is
 * gone, so its downloads answer 410 while the job keeps its figures. `jobId` is null for an
 * archive no job row took (its job was cancelled at the last moment, or could not be completed):
 * nothing names it, and nothing would ever sweep it. The file goes first: a job marked deleted
 * whose file stayed would hold it for ever, while a file gone but not yet marked still answers 410.
 */
export async function removeArchive(parts: Pick<JobParts, 'db' | 'archives'>, name: string, jobId: number | null): Promise<void> {
  await parts.archives.delete(name);
  if (jobId !== null) await markArchiveDeleted(parts.db, jobId, isoNow());
}
