import { archiveState } from '../domain/exportJob.js';
import { jobTimings } from '../domain/jobTimings.js';
import { isoNow } from '../domain/time.js';
import { archivesOfUnfinishedJobs, expiredArchives, forgetUpload, runningJobIds, uploadsOfFinishedImports } from '../store/queries/jobLifecycle.js';
import { discardOrphanPlans } from '../store/queries/exportPlan.js';
import { abandonedImportBlobs, forgetImportBlobs } from '../store/queries/importBlobs.js';
import { deleteExpiredSessions } from '../store/queries/sessions.js';
import { removeArchive } from './archiveRemoval.js';
import type { JobParts } from './parts.js';
import { recoverOrphanedJobs } from './recovery.js';

/**
 * Housekeeping on a timer: deletes archives past their expiry (the job stays COMPLETED with its
 * figures), removes drafts and export plans no running job owns, the archives of jobs that ended
 * without completing, the uploads of imports that ended and the files no import attempt kept, and
 * sign-in sessions past their expiry, and queues again jobs whose process died.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly parts: JobParts,
    /** Jobs recovery queued again, which the dispatcher must hand to a worker. */
    private readonly onRequeued: (jobIds: number[]) => void | Promise<void>,
  ) {}

  /** Sweeps now and then every period, in this process (pg-boss's schedule calls sweep() instead). */
  start(): void {
    this.timer = setInterval(() => void this.sweep(), jobTimings.sweepPeriodMs(this.parts.config.retentionHours));
    this.timer.unref();
    void this.sweep();
  }

  /**
   * Ends the timer and waits for a pass under way: the server closes the database next, and a
   * pass left running logged "sweep failed: driver has already been destroyed" at every stop.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** One pass; overlapping calls share it. */
  sweep(): Promise<void> {
    this.sweeping ??= this.pass()
      .catch((error: unknown) => this.parts.log.error({ err: error }, 'sweep failed'))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  /**
   * The housekeeping steps, each on its own: one that fails (a draft another worker removed first,
   * a stray key in the bucket) must not keep the others from running, recovery above all. Recovery
   * comes last, as it always has: a job it queues again keeps its plan until the next pass.
   */
  private async pass(): Promise<void> {
    const { db, archives } = this.parts;
    await this.step('expiry', async () => {
      const now = isoNow();
      // The query only narrows the candidates; whether an archive has expired is the domain's rule.
      for (const job of await expiredArchives(db, now)) {
        if (job.archive && archiveState(job, now) === 'expired') await removeArchive(this.parts, job.archive.name, job.id);
      }
    });
    await this.step('drafts', async () => {
      // Listed before the running jobs are asked for: a draft listed was opened by a job claimed
      // before, so one still building is among them, and no clock (this machine's against the
      // bucket's) need tell a young draft from a dead one.
      const drafts = await archives.drafts();
      const running = new Set(await runningJobIds(db));
      for (const draft of drafts) {
        if (running.has(draft.jobId)) continue;
        await archives.removeDraft(draft.file).catch((error: unknown) => this.parts.log.warn({ err: error, draft: draft.file }, 'could not remove a draft'));
      }
    });
    await this.step('unfinished', async () => {
      // Removed whether or not they exist (removal of what is gone is no error), then marked.
      for (const { id, name } of await archivesOfUnfinishedJobs(db)) await removeArchive(this.parts, name, id);
    });
    await this.step('plans', () => discardOrphanPlans(db));
    await this.step('uploads', async () => {
      // An import's upload is kept while its job may still run (again, after a crash), then goes.
      for (const { id, key } of await uploadsOfFinishedImports(db)) {
        await this.parts.blobs.delete(key);
        await forgetUpload(db, id);
      }
    });
    await this.step('import files', async () => {
      // Files an import stored that no record took: its attempt died, or its failure could not remove them.
      for (const { jobId, key } of await abandonedImportBlobs(db)) {
        await this.parts.blobs.delete(key);
        await forgetImportBlobs(db, jobId, [key]);
      }
    });
    await this.step('sessions', async () => void (await deleteExpiredSessions(db, isoNow())));
    await this.step('recovery', async () => {
      const { requeued } = await recoverOrphanedJobs(this.parts, 'sweep');
      if (requeued.length) await this.onRequeued(requeued);
    });
  }

  private async step(name: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.parts.log.error({ err: error, step: name }, 'sweep step failed');
    }
  }
}
