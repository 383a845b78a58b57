import { maxAttempts, staleAfterMs } from '../domain/exportJob.js';
import { isoNow } from '../domain/time.js';
import { expiredArchives, markArchiveDeleted, recoverInterruptedJobs, runningJobIds } from '../store/queries/jobLifecycle.js';
import { discardOrphanPlans } from '../store/queries/exportPlan.js';
import type { ExportServiceParts } from './exportService.js';


/**
 * Housekeeping on a timer: deletes archives past their expiry (the job stays COMPLETED with its
 * figures), removes drafts and export plans no running job owns, and queues again jobs whose
 * process died.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly parts: ExportServiceParts,
    private readonly onRequeued: () => void,
  ) {}

  start(): void {
    // Often enough to notice a dead worker's job within seconds; expiry is checked on the same beat.
    const everyMs = Math.max(250, Math.min(5_000, (this.parts.config.retentionHours * 3_600_000) / 4));
    this.timer = setInterval(() => void this.sweep(), everyMs);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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

  private async pass(): Promise<void> {
    const { db, archives } = this.parts;
    const now = isoNow();
    for (const { id, name } of await expiredArchives(db, now)) {
      await archives.delete(name);
      await markArchiveDeleted(db, id, now);
    }
    const running = new Set(await runningJobIds(db));
    // A job claimed after the query above may have just opened its draft: leave young drafts be.
    const youngest = Date.now() - staleAfterMs;
    for (const draft of await archives.drafts()) {
      if (!running.has(draft.jobId) && draft.modified < youngest) await archives.removeDraft(draft.file);
    }
    await discardOrphanPlans(db);
    if (this.parts.dialect === 'postgres') {
      const { requeued } = await recoverInterruptedJobs(db, new Date(Date.now() - staleAfterMs).toISOString(), maxAttempts, now);
      if (requeued.length) this.onRequeued();
    }
  }
}
