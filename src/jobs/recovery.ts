import { jobTimings } from '../domain/jobTimings.js';
import { isoNow } from '../domain/time.js';
import { databaseClock } from '../store/dialect.js';
import { recoverInterruptedJobs } from '../store/queries/jobLifecycle.js';
import { removeArchive } from './archiveRemoval.js';
import type { JobParts } from './parts.js';

/** Later than any ISO-8601 date a heartbeat holds: every STARTED job counts as stale. */
const everyHeartbeat = '9999';

/**
 * Queues again the jobs a dead process left STARTED (or FAILs those interrupted too often), and
 * logs what it did. `at` says who asks: a process starting, or the sweeper's pass.
 *
 * With the embedded database this process is the only one using it, so at start every STARTED
 * job is an orphan, and while it runs none can be made. On PostgreSQL other processes share the
 * jobs, so only a job whose heartbeat has been silent for `jobTimings.staleAfterMs`, by the
 * database's clock, is taken.
 */
export async function recoverOrphanedJobs(
  parts: Pick<JobParts, 'db' | 'dialect' | 'log' | 'archives' | 'onJobEnded'>,
  at: 'start' | 'sweep',
): Promise<{ requeued: number[]; failed: number[] }> {
  if (parts.dialect === 'sqlite' && at === 'sweep') return { requeued: [], failed: [] };
  // The database's clock judges the heartbeats it stamped: a worker on a machine whose clock runs
  // fast or slow is neither taken for dead nor kept alive by it.
  const staleBefore = parts.dialect === 'sqlite' ? everyHeartbeat : databaseClock(parts.dialect, -jobTimings.staleAfterMs);
  const { requeued, failed, archives } = await recoverInterruptedJobs(parts.db, staleBefore, jobTimings.maxAttempts, isoNow());
  if (requeued.length || failed.length) parts.log.warn({ requeued, failed, at }, 'recovered interrupted export jobs');
  for (const id of failed) parts.onJobEnded?.(id);
  // A dead worker's archive, committed but never completed: its next attempt makes another.
  for (const name of archives) {
    // One that cannot be removed now must not keep the others: no row names them any more.
    await removeArchive(parts, name, null).catch((error: unknown) => parts.log.error({ err: error, archive: name }, 'could not remove an interrupted job\'s archive'));
  }
  return { requeued, failed };
}
