import type { Job } from '../domain/exportJob.js';
import { jobTimings } from '../domain/jobTimings.js';
import { databaseClock } from '../store/dialect.js';
import { claimNextJob } from '../store/queries/jobLifecycle.js';
import { PooledDispatcher } from './dispatcher.js';
import { Stopping, type JobRunner } from './jobRunner.js';
import type { JobParts } from './parts.js';
import { recoverOrphanedJobs } from './recovery.js';
import { Sweeper } from './sweeper.js';
import { WorkerPool } from './workerPool.js';

/**
 * The embedded install's dispatch: this process is the only one using the database, so its
 * workers take the oldest waiting job straight from the jobs table, and the table is the queue.
 */
export class LocalDispatcher extends PooledDispatcher<Job> {
  protected readonly pool: WorkerPool<Job>;
  private readonly sweeper: Sweeper;

  constructor(
    private readonly parts: JobParts,
    runner: JobRunner,
  ) {
    super();
    this.pool = new WorkerPool<Job>({
      concurrency: parts.config.workers,
      pollIntervalMs: jobTimings.pollIntervalMs,
      fetchNext: () => claimNextJob(parts.db, runner.workerId, databaseClock(parts.dialect)),
      run: (job, signal) => runner.run(job, signal, (reason) => this.pool.abort(job.id, reason)),
      onError: async (job, error, signal) => void (await runner.failed(job, error, signal)),
      onInternalError: (error) => parts.log.error({ err: error }, 'export worker error'),
    });
    this.sweeper = new Sweeper(parts, () => this.pool.notify());
  }

  /** Jobs a dead process left STARTED are queued again before the workers look for jobs. */
  async start(): Promise<void> {
    await recoverOrphanedJobs(this.parts, 'start');
    this.pool.start();
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.stop(new Stopping('The server is stopping'));
  }

  /** The row waiting is the queue entry. */
  async enqueue(): Promise<void> {}

}
