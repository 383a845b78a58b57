/**
 * Runs jobs, at most `concurrency` at a time. It knows nothing of SQL or archives: it is handed
 * how to fetch the next job, how to run one and what to do when one fails (as pg-boss's worker
 * is), so another queue can drive the same job code.
 */
export interface WorkerPoolOptions<J extends { id: number }> {
  concurrency: number;
  /** How long an idle worker waits before looking again, when nobody calls notify(). */
  pollIntervalMs: number;
  fetchNext(): Promise<J | undefined>;
  run(job: J, signal: AbortSignal): Promise<void>;
  onError(job: J, error: unknown, signal: AbortSignal): Promise<void>;
  /** Called when fetching or error handling itself failed; the pool keeps going. */
  onInternalError(error: unknown): void;
}

export class WorkerPool<J extends { id: number }> {
  private running = false;
  private stopReason: Error | undefined;
  private readonly loops: Promise<void>[] = [];
  private readonly active = new Map<number, AbortController>();
  /** One resolver per idle worker: notify() wakes them all. */
  private readonly sleepers = new Set<() => void>();
  private wakeups = 0;

  constructor(private readonly options: WorkerPoolOptions<J>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopReason = undefined;
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  /** A job was added: an idle worker looks now rather than at its next poll. */
  notify(): void {
    this.wakeups += 1;
    for (const wake of this.sleepers) wake();
  }

  /** How many jobs this pool is running now. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Aborts the job if this pool is running it; its run() sees the signal. */
  abort(jobId: number, reason: Error): boolean {
    const controller = this.active.get(jobId);
    controller?.abort(reason);
    return controller !== undefined;
  }

  /** Stops taking jobs, aborts those running with `reason`, and waits for every worker to finish. */
  async stop(reason: Error): Promise<void> {
    this.running = false;
    this.stopReason = reason;
    for (const controller of this.active.values()) controller.abort(reason);
    for (const wake of this.sleepers) wake();
    await Promise.all(this.loops);
    this.loops.length = 0;
  }

  private async idle(): Promise<void> {
    if (this.wakeups > 0) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, this.options.pollIntervalMs);
      this.sleepers.add(wake);
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let job: J | undefined;
      try {
        this.wakeups = 0;
        job = await this.options.fetchNext();
      } catch (error) {
        this.options.onInternalError(error);
      }
      if (!job) {
        await this.idle();
        continue;
      }
      const controller = new AbortController();
      // A job claimed while stop() was under way would otherwise run to its end, unasked for: it
      // is not run, and its onError, seeing the stop's reason, gives it back.
      if (this.stopReason) controller.abort(this.stopReason);
      this.active.set(job.id, controller);
      try {
        controller.signal.throwIfAborted();
        await this.options.run(job, controller.signal);
      } catch (error) {
        try {
          await this.options.onError(job, error, controller.signal);
        } catch (inner) {
          this.options.onInternalError(inner);
        }
      } finally {
        this.active.delete(job.id);
      }
    }
  }
}
