import { CompiledQuery } from 'kysely';
import PgBoss from 'pg-boss';
import type { Job } from '../domain/exportJob.js';
import { jobTimings } from '../domain/jobTimings.js';
import type { Db } from '../store/db.js';
import { databaseClock } from '../store/dialect.js';
import { claimJob } from '../store/queries/jobLifecycle.js';
import { waitingJobsWithoutEntry } from '../store/queries/queueEntries.js';
import { PooledDispatcher } from './dispatcher.js';
import { Stopping, type JobRunner } from './jobRunner.js';
import type { JobParts } from './parts.js';
import { Sweeper } from './sweeper.js';
import { WorkerPool } from './workerPool.js';

/** pg-boss keeps its tables in a schema of its own, beside ours in the same database. */
export const queueSchema = 'pgboss';
const exportQueue = 'elnport-export';
const sweepQueue = 'elnport-sweep';

/**
 * The longest a queue entry may stay active before pg-boss takes its worker for dead and hands it
 * out again (pg-boss 10 allows less than 24 h). pg-boss 10 has no heartbeat, so its expiry bounds
 * a whole run: it is only the backstop. A dead worker's job is found within seconds by its silent
 * heartbeat (recovery, on the sweeper's beat), which queues it again with an entry of its own.
 */
const entryExpirySeconds = 23 * 3_600;

/**
 * How often pg-boss hands out again an entry whose claim failed (1, 2, 4 s with backoff): a
 * lost connection or a failover, not the job's own interruptions, which jobTimings.maxAttempts counts.
 */
const claimRetries = 3;

/**
 * The longest a sweep pass may stay active. The `stately` queue lets only one pass be active, so a
 * worker killed in the middle of one holds up the next (recovery of dead workers' jobs among
 * them) until pg-boss expires it, at its next maintenance: both are kept short. A pass takes
 * well under a second; one that took longer would be run again beside it, which its steps bear
 * (each is a compare-and-set or a removal of what is already gone).
 */
const sweepExpirySeconds = 30;
const maintenanceIntervalSeconds = 30;

/** Runs `work` again, a few times and a moment later, while PostgreSQL fails it as a deadlock's victim. */
async function onDeadlockAgain(work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

interface Entry {
  jobId: number;
}

/** A queue entry whose job this worker has claimed. */
interface Claimed {
  id: number;
  job: Job;
  entry: string;
}

/** pg-boss's statements run on the connection of a Kysely transaction, so they commit with it. */
function onConnectionOf(db: Db): PgBoss.Db {
  return {
    executeSql: async (text, values) => ({ rows: [...(await db.executeQuery(CompiledQuery.raw(text, values))).rows] }),
  };
}

/**
 * Dispatch on PostgreSQL through pg-boss, for any number of api and worker processes. An entry
 * in pg-boss's queue carries "job N waits"; the worker that fetches it claims job N's row (a
 * compare-and-set, so a second entry for the same job finds nothing to do) and runs it in this
 * process's pool. pg-boss also retries, with backoff, an entry whose claim failed, and schedules
 * the sweeper once per period across the cluster (a `stately` queue holds at most one pass waiting
 * and one running, however many workers ask).
 */
export class PgBossDispatcher extends PooledDispatcher<Claimed> {
  private readonly boss: PgBoss;
  protected readonly pool: WorkerPool<Claimed>;
  private readonly sweeper: Sweeper;
  private readonly works: boolean;
  private started = false;

  constructor(
    private readonly parts: JobParts,
    private readonly runner: JobRunner,
  ) {
    super();
    const { config, log } = parts;
    this.works = config.role !== 'api';
    this.boss = new PgBoss({
      connectionString: config.databaseUrl ?? undefined,
      schema: queueSchema,
      application_name: `elnport ${config.role}`,
      // Fetching, completing and the sweeper's schedule; the exports' own queries use the store's pool.
      max: 4,
      migrate: true,
      // Only processes that run jobs look after the queue: an api process only sends.
      supervise: this.works,
      schedule: this.works,
      maintenanceIntervalSeconds,
    });
    this.boss.on('error', (error) => log.error({ err: error }, 'job queue error'));
    this.pool = new WorkerPool<Claimed>({
      concurrency: config.workers,
      pollIntervalMs: jobTimings.pollIntervalMs,
      fetchNext: () => this.fetchNext(),
      run: async (claimed, signal) => {
        await runner.run(claimed.job, signal, (reason) => this.pool.abort(claimed.id, reason));
        await this.settle(claimed.entry);
      },
      onError: async (claimed, error, signal) => {
        if ((await runner.failed(claimed.job, error, signal)) === 'released') await this.enqueue(parts.db, claimed.id);
        await this.settle(claimed.entry);
      },
      onInternalError: (error) => log.error({ err: error }, 'export worker error'),
    });
    this.sweeper = new Sweeper(parts, (jobIds) => this.enqueueEach(jobIds));
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
    await onDeadlockAgain(() => this.setUpQueues());
    if (!this.works) return;
    await this.boss.work(sweepQueue, { pollingIntervalSeconds: 0.5 }, () => this.sweepPass());
    // A pass now, unless one is already queued (the stately queue then drops this one), as it is
    // on every start but a cluster's first: that one is due within a period anyway.
    await this.boss.send(sweepQueue, {});
    this.pool.start();
  }

  /**
   * The queues and the sweeper's schedule, made if missing. Processes starting together on a new
   * database make them at once, and pg-boss's create_queue (a partition attached to its job table)
   * can deadlock with another's: PostgreSQL then fails one of them, which simply tries again.
   */
  private async setUpQueues(): Promise<void> {
    await this.boss.createQueue(exportQueue, {
      name: exportQueue,
      retryLimit: claimRetries,
      retryDelay: 1,
      retryBackoff: true,
      expireInSeconds: entryExpirySeconds,
    });
    if (!this.works) return;
    await this.boss.createQueue(sweepQueue, { name: sweepQueue, policy: 'stately', retryLimit: 0, expireInSeconds: sweepExpirySeconds });
    // pg-boss's cron fires at most once a minute: it only restarts the chain each pass continues
    // (sweepPass queues the next one a sweep period later), should the chain ever break.
    await this.boss.schedule(sweepQueue, '* * * * *');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    // The pool first: jobs it gives back are queued again through pg-boss, still open.
    await this.pool.stop(new Stopping('The server is stopping'));
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
    await this.sweeper.stop();
    this.started = false;
  }

  async enqueue(db: Db, jobId: number): Promise<void> {
    await this.boss.send(exportQueue, { jobId } satisfies Entry, { db: onConnectionOf(db) });
  }

  /** The next entry whose job this worker could claim; entries whose job waits no more are done with. */
  private async fetchNext(): Promise<Claimed | undefined> {
    for (;;) {
      const [entry] = await this.boss.fetch<Entry>(exportQueue);
      if (!entry) return undefined;
      const job = await claimJob(this.parts.db, entry.data.jobId, this.runner.workerId, databaseClock('postgres')).catch(async (error: unknown) => {
        // pg-boss hands the entry out again after its retry delay.
        await this.boss.fail(exportQueue, entry.id).catch(() => undefined);
        throw error;
      });
      if (job) return { id: job.id, job, entry: entry.id };
      await this.settle(entry.id);
    }
  }

  /**
   * The entry is done with: the job's outcome is in its row. An entry that cannot be completed
   * now stays active until pg-boss expires it, and whoever fetches it then finds nothing to claim.
   */
  private async settle(entry: string): Promise<void> {
    await this.boss.complete(exportQueue, entry).catch((error: unknown) => this.parts.log.warn({ err: error, entry }, 'could not complete a queue entry'));
  }

  private async enqueueEach(jobIds: number[]): Promise<void> {
    for (const jobId of jobIds) await this.enqueue(this.parts.db, jobId);
    this.notify();
  }

  /**
   * One sweep for the whole cluster, then the next one queued a period later. A job queued again
   * by a process that died before it sent the entry is waiting with none: it gets one here.
   */
  private async sweepPass(): Promise<void> {
    try {
      await this.sweeper.sweep();
      await this.enqueueEach(await waitingJobsWithoutEntry(this.parts.db, queueSchema, exportQueue));
    } catch (error) {
      this.parts.log.error({ err: error }, 'sweep failed');
    } finally {
      const period = jobTimings.sweepPeriodMs(this.parts.config.retentionHours) / 1000;
      await this.boss.send(sweepQueue, {}, { startAfter: period }).catch((error: unknown) => this.parts.log.warn({ err: error }, 'could not queue the next sweep'));
    }
  }
}
