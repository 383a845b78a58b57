import { sql, type ExpressionBuilder, type RawBuilder } from 'kysely';
import type { Db } from '../db.js';
import type { DB } from '../schema.js';
import type { ExportCounts } from '../../domain/exportModel.js';
import type { ExportArchive, ImportResult, Job } from '../../domain/exportJob.js';
import { rowToJob } from './exportJobs.js';

/**
 * Every change of a job's status is a compare-and-set on (status, worker): a worker whose job
 * was cancelled, or taken over after it was thought dead, finds its update refused and stops.
 */

/** A moment as a date column holds it, or the database's own clock (databaseClock in dialect.ts). */
export type Instant = string | RawBuilder<string>;

function claimed(workerId: string, now: Instant) {
  return (eb: ExpressionBuilder<DB, 'export_jobs'>) => ({
    status: 'STARTED' as const,
    worker_id: workerId,
    attempts: eb('attempts', '+', 1),
    started: now,
    heartbeat: now,
  });
}

/** The oldest waiting job, now STARTED and owned by `workerId`; undefined when none waits. */
export async function claimNextJob(db: Db, workerId: string, now: Instant): Promise<Job | undefined> {
  // Two workers may pick the same id; the status test in the UPDATE lets only one of them win.
  for (let tries = 0; tries < 5; tries++) {
    const next = await db
      .selectFrom('export_jobs')
      .select('id')
      .where('status', '=', 'STARTING')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!next) return undefined;
    const row = await db
      .updateTable('export_jobs')
      .set(claimed(workerId, now))
      .where('id', '=', next.id)
      .where('status', '=', 'STARTING')
      .returningAll()
      .executeTakeFirst();
    if (row) return rowToJob(row);
  }
  return undefined;
}

/**
 * The waiting job `id`, now STARTED and owned by `workerId`; undefined when it waits no more (a
 * queue handed it out after it was cancelled, finished, or claimed through another queue entry).
 */
export async function claimJob(db: Db, id: number, workerId: string, now: Instant): Promise<Job | undefined> {
  const row = await db
    .updateTable('export_jobs')
    .set(claimed(workerId, now))
    .where('id', '=', id)
    .where('status', '=', 'STARTING')
    .returningAll()
    .executeTakeFirst();
  return row && rowToJob(row);
}

/** Stores progress, which never goes down; false when the job is no longer this worker's to run. */
export async function recordProgress(db: Db, id: number, workerId: string, percent: number, now: Instant): Promise<boolean> {
  const result = await db
    .updateTable('export_jobs')
    .set({
      percent_complete: sql<number>`case when percent_complete < ${percent} then ${percent} else percent_complete end`,
      heartbeat: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'STARTED')
    .where('worker_id', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function completeJob(
  db: Db,
  id: number,
  workerId: string,
  archive: Omit<ExportArchive, 'deleted'>,
  counts: ExportCounts,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('export_jobs')
    .set({
      status: 'COMPLETED',
      percent_complete: 100,
      finished: now,
      heartbeat: now,
      archive_name: archive.name,
      size: archive.size,
      checksum: archive.checksum,
      sha256: archive.sha256,
      expiry_date: archive.expiryDate,
      counts_json: JSON.stringify(counts),
    })
    .where('id', '=', id)
    .where('status', '=', 'STARTED')
    .where('worker_id', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function failJob(db: Db, id: number, workerId: string | null, message: string, now: string): Promise<boolean> {
  let q = db
    .updateTable('export_jobs')
    .set({ status: 'FAILED', error_message: message, finished: now })
    .where('id', '=', id)
    .where('status', 'in', ['STARTING', 'STARTED']);
  if (workerId) q = q.where('worker_id', '=', workerId);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Cancels an unfinished job; false when it had already finished. */
export async function abandonJob(db: Db, id: number, message: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('export_jobs')
    .set({ status: 'ABANDONED', error_message: message, finished: now })
    .where('id', '=', id)
    .where('status', 'in', ['STARTING', 'STARTED'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A job this worker is giving back (the server is stopping): it waits again, and this try does not count. */
export async function releaseJob(db: Db, id: number, workerId: string): Promise<void> {
  await db
    .updateTable('export_jobs')
    .set((eb) => ({ status: 'STARTING', worker_id: null, attempts: eb('attempts', '-', 1) }))
    .where('id', '=', id)
    .where('status', '=', 'STARTED')
    .where('worker_id', '=', workerId)
    .execute();
}

/**
 * Names the archive a STARTED job is about to commit, before it exists under that name: a worker
 * that dies between the commit and completeJob leaves an archive its row still names, which
 * recovery removes. False when the job is no longer this worker's.
 */
export async function nameArchive(db: Db, id: number, workerId: string, name: string): Promise<boolean> {
  const result = await db
    .updateTable('export_jobs')
    .set({ archive_name: name })
    .where('id', '=', id)
    .where('status', '=', 'STARTED')
    .where('worker_id', '=', workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Jobs left STARTED by a worker that stopped beating before `staleBefore` (a process that died):
 * back to STARTING to be built again from the start, or FAILED once they used every attempt.
 * `archives` are those their dead workers had named (nameArchive), now no job's, for removal.
 */
export async function recoverInterruptedJobs(
  db: Db,
  staleBefore: Instant,
  maxAttempts: number,
  now: string,
): Promise<{ requeued: number[]; failed: number[]; archives: string[] }> {
  const stale = await db
    .selectFrom('export_jobs')
    .select(['id', 'kind', 'attempts', 'archive_name'])
    .where('status', '=', 'STARTED')
    .where((eb) => eb.or([eb('heartbeat', 'is', null), eb('heartbeat', '<', staleBefore)]))
    .execute();
  const requeued: number[] = [];
  const failed: number[] = [];
  const archives: string[] = [];
  for (const job of stale) {
    const retry = job.attempts < maxAttempts;
    const result = await db
      .updateTable('export_jobs')
      .set(
        retry
          ? { status: 'STARTING', worker_id: null, archive_name: null }
          : {
              status: 'FAILED',
              finished: now,
              archive_name: null,
              error_message: `The ${job.kind} was interrupted ${job.attempts} times (the server stopped while running it) and was given up; please start a new ${job.kind}`,
            },
      )
      .where('id', '=', job.id)
      .where('status', '=', 'STARTED')
      .where((eb) => eb.or([eb('heartbeat', 'is', null), eb('heartbeat', '<', staleBefore)]))
      // As read: an archive named since is not left out of `archives`.
      .where('archive_name', job.archive_name === null ? 'is' : '=', job.archive_name)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue;
    (retry ? requeued : failed).push(job.id);
    if (job.archive_name) archives.push(job.archive_name);
  }
  return { requeued, failed, archives };
}

/**
 * Completed jobs whose archive expired before `now` and is still kept: the sweeper's candidates,
 * each then judged by archiveState (domain/exportJob.ts).
 */
export async function expiredArchives(db: Db, now: string): Promise<Job[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .selectAll()
    .where('status', '=', 'COMPLETED')
    .where('archive_deleted', 'is', null)
    .where('expiry_date', '<', now)
    .execute();
  return rows.map(rowToJob);
}

export async function markArchiveDeleted(db: Db, id: number, now: string): Promise<void> {
  await db.updateTable('export_jobs').set({ archive_deleted: now }).where('id', '=', id).where('archive_deleted', 'is', null).execute();
}

/**
 * Jobs that ended without completing (FAILED, ABANDONED) but name an archive not yet removed: the
 * one their worker named before its commit (nameArchive), whose commit then went through though
 * the job could not take it (its answer lost, or the job cancelled as its worker died).
 */
export async function archivesOfUnfinishedJobs(db: Db): Promise<{ id: number; name: string }[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .select(['id', 'archive_name'])
    .where('status', 'in', ['FAILED', 'ABANDONED'])
    .where('archive_name', 'is not', null)
    .where('archive_deleted', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.archive_name! }));
}

/** Ids of jobs being built right now, whose temporary files the sweeper must leave alone. */
export async function runningJobIds(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('export_jobs').select('id').where('status', '=', 'STARTED').execute();
  return rows.map((r) => r.id);
}

/**
 * Completes an import inside the transaction that wrote its records: false (and the caller rolls
 * the records back) when the job is no longer this worker's, cancelled or taken over.
 */
export async function completeImport(db: Db, id: number, workerId: string, result: ImportResult, now: string): Promise<boolean> {
  const updated = await db
    .updateTable('export_jobs')
    .set({ status: 'COMPLETED', percent_complete: 100, finished: now, heartbeat: now, result_json: JSON.stringify(result) })
    .where('id', '=', id)
    .where('status', '=', 'STARTED')
    .where('worker_id', '=', workerId)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

/** Uploads of imports that are over, whatever their end: the blob goes, then the job stops naming it. */
export async function uploadsOfFinishedImports(db: Db): Promise<{ id: number; key: string }[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .select(['id', 'upload_key'])
    .where('kind', '=', 'import')
    .where('upload_key', 'is not', null)
    .where('status', 'not in', ['STARTING', 'STARTED'])
    .execute();
  return rows.map((r) => ({ id: r.id, key: r.upload_key! }));
}

export async function forgetUpload(db: Db, id: number): Promise<void> {
  await db.updateTable('export_jobs').set({ upload_key: null }).where('id', '=', id).execute();
}
