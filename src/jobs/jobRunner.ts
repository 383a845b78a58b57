import { ElnportError } from '../domain/errors.js';
import { roundPercent, type ExportJob, type ImportJob, type Job } from '../domain/exportJob.js';
import type { Viewer } from '../domain/permissions.js';
import { jobTimings } from '../domain/jobTimings.js';
import { isoNow } from '../domain/time.js';
import { loadViewer } from '../content/access.js';
import { sqliteFile } from '../store/db.js';
import { databaseClock } from '../store/dialect.js';
import { completeImport, completeJob, failJob, nameArchive, recordProgress, releaseJob } from '../store/queries/jobLifecycle.js';
import { findUserById } from '../store/queries/users.js';
import { version } from '../version.js';
import { removeArchive } from './archiveRemoval.js';
import type { JobParts } from './parts.js';

/** Progress as the job's runs report it, and the wait for what was reported to be stored. */
interface Progress {
  report(fraction: number): void;
  /** Stops the heartbeat and waits for the last progress write, before the job is completed. */
  settled(): Promise<void>;
}

/** Why a running job's signal fired: the owner cancelled it, or this process is stopping. */
export class Cancelled extends Error {}
export class Stopping extends Error {}

/**
 * What a worker does with a job it has claimed, whichever queue handed it out (the in-process
 * pool or pg-boss): build its archive or import its upload while beating the job's heartbeat, then
 * complete it; or, when that fails, settle the job as its failure means.
 */
export class JobRunner {
  constructor(
    private readonly parts: JobParts,
    readonly workerId: string,
  ) {}

  /**
   * Runs the job (builds its archive, or imports its upload) and completes it, beating its
   * heartbeat meanwhile. `lost` is called when the job's row says it is no longer this worker's
   * (cancelled, or taken over after this worker was thought dead): the caller aborts `signal` with it.
   */
  async run(job: Job, signal: AbortSignal, lost: (reason: Cancelled) => void): Promise<void> {
    const { db } = this.parts;
    const began = Date.now();
    // Once per claim: a job run again after a crash starts again, as its next attempt.
    this.parts.log.info({ jobId: job.id, attempt: job.attempts }, `${job.kind} job started`);
    const owner = await findUserById(db, job.ownerId);
    if (!owner) throw new ElnportError(500, 50001, `The user who asked for ${job.kind} ${job.id} no longer exists`);
    const viewer = await loadViewer(db, owner);

    let percent = 0;
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const store = () => {
      lastWrite = Date.now();
      writing = writing
        .then(() => recordProgress(db, job.id, this.workerId, percent, databaseClock(this.parts.dialect)))
        .then((stillOurs) => {
          if (!stillOurs) lost(new Cancelled('The job was cancelled or taken over'));
        })
        .catch((error: unknown) => this.parts.log.warn({ err: error, jobId: job.id }, 'could not record progress'));
    };
    const progress: Progress = {
      report: (fraction) => {
        percent = roundPercent(fraction * 100, false);
        if (Date.now() - lastWrite >= jobTimings.progressIntervalMs) store();
      },
      settled: async () => {
        clearInterval(heartbeat);
        await writing;
      },
    };
    const heartbeat = setInterval(store, jobTimings.heartbeatMs);
    try {
      if (job.kind === 'import') await this.runImport(job, viewer, signal, lost, progress, began);
      else await this.runExport(job, viewer, signal, lost, progress, began);
    } finally {
      await progress.settled();
    }
  }

  private async runExport(job: ExportJob, viewer: Viewer, signal: AbortSignal, lost: (reason: Cancelled) => void, progress: Progress, began: number): Promise<void> {
    const { db, config } = this.parts;
    // The builder (renderers, zip writer, plan) is loaded by the first export: an idle server holds about 4 MB less.
    const { buildArchive } = await import('../export/build.js');
    const built = await buildArchive(
      {
        db,
        blobs: this.parts.blobs,
        archives: this.parts.archives,
        appVersion: version,
        sourceUrl: config.publicUrl ?? job.request.sourceUrl,
        sqliteFile: this.parts.dialect === 'sqlite' ? sqliteFile(config.dataDir) : undefined,
      },
      job.id,
      viewer,
      job.request,
      signal,
      progress.report,
      {
        beforeCommit: async (name) => {
          if (await nameArchive(db, job.id, this.workerId, name)) return;
          const reason = new Cancelled('The job was cancelled or taken over');
          lost(reason);
          throw reason;
        },
      },
    );
    await progress.settled();
    const finished = new Date();
    const expiryDate = new Date(finished.getTime() + config.retentionHours * 3_600_000).toISOString();
    const archive = { name: built.name, size: built.size, checksum: String(built.crc32), sha256: built.sha256, expiryDate };
    // An archive no job row names would never be swept: it goes if the job cannot take it.
    const completed = await completeJob(db, job.id, this.workerId, archive, built.counts, finished.toISOString()).catch(
      async (error: unknown) => {
        await removeArchive(this.parts, built.name, null);
        throw error;
      },
    );
    if (completed) {
      this.parts.onJobEnded?.(job.id);
      const { documents, folders, files, skipped } = built.counts;
      this.parts.log.info(
        { jobId: job.id, bytes: built.size, durationMs: Date.now() - began, records: documents + folders + files, skipped },
        'export job completed',
      );
    } else {
      // Cancelled in the last moment (and logged as such): the archive must not outlive its job.
      await removeArchive(this.parts, built.name, null);
    }
  }

  /** The records and the job's completion are one transaction: cancelled or taken over, nothing is written. */
  private async runImport(job: ImportJob, viewer: Viewer, signal: AbortSignal, lost: (reason: Cancelled) => void, progress: Progress, began: number): Promise<void> {
    const { importUpload } = await import('../import/importUpload.js');
    const notOurs = () => {
      const reason = new Cancelled('The job was cancelled or taken over');
      lost(reason);
      return reason;
    };
    let beaten = 0;
    const result = await importUpload(this.parts, viewer, job, {
      signal,
      onProgress: progress.report,
      beforeWrite: progress.settled,
      beat: async (trx) => {
        if (Date.now() - beaten < jobTimings.heartbeatMs) return;
        beaten = Date.now();
        if (!(await recordProgress(trx, job.id, this.workerId, 99, databaseClock(this.parts.dialect)))) throw notOurs();
      },
      commit: async (trx, imported) => {
        if (!(await completeImport(trx, job.id, this.workerId, imported, isoNow()))) throw notOurs();
      },
    });
    this.parts.onJobEnded?.(job.id);
    const { counts, warnings } = result;
    this.parts.log.info({ jobId: job.id, durationMs: Date.now() - began, ...counts, warnings: warnings.length }, 'import job completed');
  }

  /**
   * Settles a job whose run() threw: nothing when its owner cancelled it; back to the queue when
   * this process is stopping (`released`: the caller queues it again where its queue needs that);
   * otherwise FAILED, with the error's message when it is one of ours.
   */
  async failed(job: Job, error: unknown, signal: AbortSignal): Promise<'released' | 'settled'> {
    if (signal.aborted && signal.reason instanceof Cancelled) return 'settled';
    if (signal.aborted && signal.reason instanceof Stopping) {
      await releaseJob(this.parts.db, job.id, this.workerId);
      this.parts.log.info({ jobId: job.id }, `${job.kind} job given back to the queue: the server is stopping`);
      return 'released';
    }
    const expected = error instanceof ElnportError;
    const message = expected ? error.message : `The ${job.kind} failed because of an internal error; it has been logged`;
    // Logged before the job's row is touched, which may fail too, and whether or not the job is still this worker's.
    if (!expected) this.parts.log.error({ err: error, jobId: job.id }, `${job.kind} job broke`);
    if (await failJob(this.parts.db, job.id, this.workerId, message, isoNow())) {
      this.parts.log.info({ jobId: job.id, message }, `${job.kind} job failed`);
      this.parts.onJobEnded?.(job.id);
    }
    return 'settled';
  }
}
