import { randomUUID } from 'node:crypto';
import { ElnportError, tooManyRequests } from '../domain/errors.js';
import { archiveState, roundPercent, type ExportJob, type ExportRequest, type JobStatus } from '../domain/exportJob.js';
import { jobTimings } from '../domain/jobTimings.js';
import type { Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import { loadViewer } from '../content/access.js';
import { isUniqueViolation } from '../store/dialect.js';
import { sqliteFile } from '../store/db.js';
import { exportJobsPage, findExportJob, insertExportJob } from '../store/queries/exportJobs.js';
import { abandonJob, claimNextJob, completeJob, failJob, recordProgress, releaseJob } from '../store/queries/jobLifecycle.js';
import { findUserById } from '../store/queries/users.js';
import { version } from '../version.js';
import { removeArchive } from './archiveRemoval.js';
import type { JobParts } from './parts.js';
import { recoverOrphanedJobs } from './recovery.js';
import { Sweeper } from './sweeper.js';
import { WorkerPool } from './workerPool.js';

/** Why a running job's signal fired: the owner cancelled it, or this process is stopping. */
class Cancelled extends Error {}
class Stopping extends Error {}

/** When to look at a job again (Retry-After): soon while it waits, a little later while it builds. */
export function retryAfterSeconds(status: JobStatus): number {
  return status === 'STARTING' ? 1 : 2;
}

/**
 * The export job lifecycle: submitted by the API, run by workers in this process (unless its
 * role is `api`), recovered after a crash, cancelled on request. The jobs table is the record of
 * truth throughout, so an `api` process and the `worker` processes meet only there.
 */
export class ExportService {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly pool: WorkerPool<ExportJob>;
  private readonly sweeper: Sweeper;

  constructor(private readonly parts: JobParts) {
    this.pool = new WorkerPool<ExportJob>({
      concurrency: parts.config.workers,
      pollIntervalMs: jobTimings.pollIntervalMs,
      fetchNext: () => claimNextJob(parts.db, this.workerId, isoNow()),
      run: (job, signal) => this.run(job, signal),
      onError: (job, error, signal) => this.failed(job, error, signal),
      onInternalError: (error) => parts.log.error({ err: error }, 'export worker error'),
    });
    this.sweeper = new Sweeper(parts, () => this.pool.notify());
  }

  /**
   * Jobs a dead process left STARTED are queued again before the workers look for jobs. An `api`
   * process starts none of this: it only queues, and the workers' processes claim, recover and
   * sweep (submit's notify() and cancel's abort() then find no local worker, which is right).
   */
  async start(): Promise<void> {
    if (this.parts.config.role === 'api') return;
    await recoverOrphanedJobs(this.parts, 'start');
    this.pool.start();
    this.sweeper.start();
  }

  /** How many exports this process is building now (a worker's health answer). */
  get runningJobs(): number {
    return this.pool.activeCount;
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.stop(new Stopping('The server is stopping'));
  }

  /** Queues an export; 429 while the owner has one unfinished (a unique index makes that race-free). */
  async submit(viewer: Viewer, request: ExportRequest, requestId?: string): Promise<ExportJob> {
    try {
      const job = await insertExportJob(this.parts.db, viewer.user.id, request, isoNow());
      // reqId as on the request's own lines, which tell who asked and how.
      this.parts.log.info(
        { jobId: job.id, user: viewer.user.username, format: request.format, scope: request.scope, reqId: requestId },
        'export job queued',
      );
      this.pool.notify();
      return job;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The job in the way is the owner's newest (none can be added while it is unfinished):
      // come back when it is worth polling, and it may have finished.
      const [blocking] = await exportJobsPage(this.parts.db, viewer.user.id, 0, 1);
      throw tooManyRequests('There is already a running export job', retryAfterSeconds(blocking?.status ?? 'STARTING'));
    }
  }

  /** Cancels an unfinished job (its partial file goes with it) or deletes a completed job's archive. */
  async cancelOrDelete(job: ExportJob): Promise<void> {
    if (job.status === 'STARTING' || job.status === 'STARTED') {
      if (await abandonJob(this.parts.db, job.id, 'Cancelled by its owner', isoNow())) {
        this.parts.log.info({ jobId: job.id, was: job.status }, 'export job cancelled');
        this.pool.abort(job.id, new Cancelled('Cancelled by its owner'));
        return;
      }
      // It finished meanwhile: fall through with its new state.
      job = (await findExportJob(this.parts.db, job.id)) ?? job;
    }
    // Expired but not yet swept goes too: the owner asked for it gone.
    const state = archiveState(job, isoNow());
    if (job.archive && (state === 'downloadable' || state === 'expired')) await removeArchive(this.parts, job.archive.name, job.id);
  }

  private async run(job: ExportJob, signal: AbortSignal): Promise<void> {
    const { db, config } = this.parts;
    const began = Date.now();
    // Once per claim: a job built again after a crash starts again, as its next attempt.
    this.parts.log.info({ jobId: job.id, attempt: job.attempts }, 'export job started');
    const owner = await findUserById(db, job.ownerId);
    if (!owner) throw new ElnportError(500, 50001, `The user who asked for export ${job.id} no longer exists`);
    const viewer = await loadViewer(db, owner);

    let percent = 0;
    let lastWrite = 0;
    let writing: Promise<unknown> = Promise.resolve();
    const store = () => {
      lastWrite = Date.now();
      writing = writing
        .then(() => recordProgress(db, job.id, this.workerId, percent, isoNow()))
        .then((stillOurs) => {
          if (!stillOurs) this.pool.abort(job.id, new Cancelled('The job was cancelled or taken over'));
        })
        .catch((error: unknown) => this.parts.log.warn({ err: error, jobId: job.id }, 'could not record progress'));
    };
    const heartbeat = setInterval(store, jobTimings.heartbeatMs);
    try {
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
        (fraction) => {
          percent = roundPercent(fraction * 100, false);
          if (Date.now() - lastWrite >= jobTimings.progressIntervalMs) store();
        },
      );
      clearInterval(heartbeat);
      await writing;
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
        const { documents, folders, files, skipped } = built.counts;
        this.parts.log.info(
          { jobId: job.id, bytes: built.size, durationMs: Date.now() - began, records: documents + folders + files, skipped },
          'export job completed',
        );
      } else {
        // Cancelled in the last moment (and logged as such): the archive must not outlive its job.
        await removeArchive(this.parts, built.name, null);
      }
    } finally {
      clearInterval(heartbeat);
      await writing;
    }
  }

  private async failed(job: ExportJob, error: unknown, signal: AbortSignal): Promise<void> {
    if (signal.aborted && signal.reason instanceof Cancelled) return;
    if (signal.aborted && signal.reason instanceof Stopping) {
      await releaseJob(this.parts.db, job.id, this.workerId);
      this.parts.log.info({ jobId: job.id }, 'export job given back to the queue: the server is stopping');
      return;
    }
    const expected = error instanceof ElnportError;
    const message = expected ? error.message : 'The export failed because of an internal error; it has been logged';
    // Logged before the job's row is touched, which may fail too, and whether or not the job is still this worker's.
    if (!expected) this.parts.log.error({ err: error, jobId: job.id }, 'export job broke');
    if (await failJob(this.parts.db, job.id, this.workerId, message, isoNow())) this.parts.log.info({ jobId: job.id, message }, 'export job failed');
  }
}
