import type { Db } from '../store/db.js';
import type { WorkerPool } from './workerPool.js';

/**
 * How waiting jobs reach this process's workers: the in-process pool polling the jobs table
 * (embedded SQLite) or pg-boss (PostgreSQL). The jobs table stays the record of truth either way;
 * a dispatcher only carries "job N waits" to a worker, which then claims the row (JobRunner runs it).
 */
export interface Dispatcher {
  /** Starts the workers and the sweeper, or in an `api` process only what queueing needs. */
  start(): Promise<void>;
  /** Stops taking jobs, gives running ones back to the queue and waits for the sweeper. */
  stop(): Promise<void>;
  /** Queues job `jobId`, inside the transaction `db` that stored it waiting, so both happen or neither. */
  enqueue(db: Db, jobId: number): Promise<void>;
  /** Jobs were queued: this process's idle workers look now rather than at their next poll. */
  notify(): void;
  /** Aborts the job if a worker of this process is running it. */
  abort(jobId: number, reason: Error): void;
  /** How many exports this process is building now. */
  readonly runningJobs: number;
}

/** Both dispatchers run their jobs in a WorkerPool of this process: what only the pool knows is answered by it. */
export abstract class PooledDispatcher<J extends { id: number }> implements Dispatcher {
  protected abstract readonly pool: WorkerPool<J>;

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract enqueue(db: Db, jobId: number): Promise<void>;

  notify(): void {
    this.pool.notify();
  }

  abort(jobId: number, reason: Error): void {
    this.pool.abort(jobId, reason);
  }

  get runningJobs(): number {
    return this.pool.activeCount;
  }
}
