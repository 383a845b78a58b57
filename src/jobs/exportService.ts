import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { DB } from '../store/schema.js';
import { tooManyRequests } from '../domain/errors.js';
import { archiveState, type ExportJob, type ExportRequest, type ImportJob, type ImportRequest, type Job, type JobStatus } from '../domain/exportJob.js';
import type { Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import { isUniqueViolation } from '../store/dialect.js';
import { findJob, insertExportJob, insertImportJob, unfinishedJob } from '../store/queries/exportJobs.js';
import { abandonJob } from '../store/queries/jobLifecycle.js';
import { removeArchive } from './archiveRemoval.js';
import type { Dispatcher } from './dispatcher.js';
import { Cancelled, JobRunner } from './jobRunner.js';
import { LocalDispatcher } from './localDispatcher.js';
import type { JobParts } from './parts.js';

/** When to look at a job again (Retry-After): soon while it waits, a little later while it builds. */
export function retryAfterSeconds(status: JobStatus): number {
  return status === 'STARTING' ? 1 : 2;
}

/**
 * The job lifecycle, exports' and imports': submitted by the API, dispatched to workers (this process's unless
 * its role is `api`), recovered after a crash, cancelled on request. The jobs table is the record
 * of truth throughout; the dispatcher (dispatcher.ts) only carries which job waits.
 */
export class ExportService {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly dispatcher: Promise<Dispatcher>;
  private running: Dispatcher | undefined;

  constructor(private readonly parts: JobParts) {
    const runner = new JobRunner(parts, this.workerId);
    // pg-boss is loaded only where it dispatches: an embedded install never needs it.
    this.dispatcher =
      parts.dialect === 'postgres'
        ? import('./pgBossDispatcher.js').then(({ PgBossDispatcher }) => new PgBossDispatcher(parts, runner))
        : Promise.resolve(new LocalDispatcher(parts, runner));
  }

  /**
   * Starts the workers and the sweeper, which recover first what a dead process left STARTED.
   * An `api` process only queues (its dispatcher starts what sending needs): the workers'
   * processes claim, recover and sweep, so cancel's abort() finds no local worker, which is right.
   */
  async start(): Promise<void> {
    const dispatcher = await this.dispatcher;
    this.running = dispatcher;
    await dispatcher.start();
  }

  /** How many exports this process is building now (a worker's health answer). */
  get runningJobs(): number {
    return this.running?.runningJobs ?? 0;
  }

  async stop(): Promise<void> {
    await this.running?.stop();
  }

  /** Queues an export; 429 while the owner has one unfinished (a unique index makes that race-free). */
  async submit(viewer: Viewer, request: ExportRequest, requestId?: string): Promise<ExportJob> {
    const job = await this.queue(viewer, 'export', (trx) => insertExportJob(trx, viewer.user.id, request, isoNow()));
    // reqId as on the request's own lines, which tell who asked and how.
    this.parts.log.info({ jobId: job.id, user: viewer.user.username, format: request.format, scope: request.scope, reqId: requestId }, 'export job queued');
    return job;
  }

  /** Queues an import of an uploaded archive; 429 while the owner has one unfinished. */
  async submitImport(viewer: Viewer, request: ImportRequest, requestId?: string): Promise<ImportJob> {
    const job = await this.queue(viewer, 'import', (trx) => insertImportJob(trx, viewer.user.id, request, isoNow()));
    this.parts.log.info({ jobId: job.id, user: viewer.user.username, archive: request.archiveName, bytes: request.size, reqId: requestId }, 'import job queued');
    return job;
  }

  private async queue<J extends Job>(viewer: Viewer, kind: Job['kind'], insert: (trx: Transaction<DB>) => Promise<J>): Promise<J> {
    try {
      const dispatcher = await this.dispatcher;
      // The job's row and its queue entry are stored together or not at all.
      const job = await this.parts.db.transaction().execute(async (trx) => {
        const inserted = await insert(trx);
        await dispatcher.enqueue(trx, inserted.id);
        return inserted;
      });
      dispatcher.notify();
      return job;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Come back when the job in the way is worth polling: it may have finished.
      const blocking = await unfinishedJob(this.parts.db, viewer.user.id, kind);
      throw tooManyRequests(`There is already a running ${kind} job`, retryAfterSeconds(blocking?.status ?? 'STARTING'));
    }
  }

  /** Cancels an unfinished job (its partial file goes with it) or deletes a completed job's archive. */
  async cancelOrDelete(job: Job): Promise<void> {
    if (job.status === 'STARTING' || job.status === 'STARTED') {
      if (await abandonJob(this.parts.db, job.id, 'Cancelled by its owner', isoNow())) {
        this.parts.log.info({ jobId: job.id, was: job.status }, `${job.kind} job cancelled`);
        this.running?.abort(job.id, new Cancelled('Cancelled by its owner'));
        this.parts.onJobEnded?.(job.id);
        return;
      }
      // It finished meanwhile: fall through with its new state.
      job = (await findJob(this.parts.db, job.id)) ?? job;
    }
    // Expired but not yet swept goes too: the owner asked for it gone.
    const state = archiveState(job, isoNow());
    if (job.archive && (state === 'downloadable' || state === 'expired')) await removeArchive(this.parts, job.archive.name, job.id);
  }
}
