import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { tooManyRequests } from '../domain/errors.js';
import type { Db } from '../store/db.js';
import { countRequest, deleteEndedWindows, type WindowCount } from '../store/queries/rateLimits.js';

/** Where a rate limiter counts: one fixed window per caller. */
export interface RequestCounter {
  /** Counts one request by `caller`; its window as it stands with this request in it. */
  add(caller: string): WindowCount | Promise<WindowCount>;
  /** Waits for any work of its own still under way. */
  close(): Promise<void>;
}

/** A fixed window per caller, with RSpace's headers on every response. */
export class RateLimiter {
  constructor(
    private readonly counter: RequestCounter,
    private readonly max: number,
    private readonly windowMs: number,
    /** What is counted, as the 429's message names it. */
    private readonly counted = 'requests',
  ) {}

  /** Counts one request by `caller`, sets the headers, and throws 429 past the limit. */
  async hit(caller: string, reply: FastifyReply): Promise<void> {
    const { count, closesInMs } = await this.counter.add(caller);
    reply.header('X-Rate-Limit-Limit', this.max);
    reply.header('X-Rate-Limit-Remaining', Math.max(0, this.max - count));
    if (count > this.max) {
      // Retry-After: when this caller's window closes.
      throw tooManyRequests(`Too many ${this.counted}: at most ${this.max} every ${this.windowMs / 1000} s`, closesInMs / 1000);
    }
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}

/**
 * Where the app's limits count. On PostgreSQL any number of API processes serve one site, and a
 * caller's limit must hold across them all; SQLite's one process keeps its counts in memory, with
 * no query per request.
 */
export function requestCounter(app: FastifyInstance, windowMs: number): RequestCounter {
  return app.store.dialect === 'postgres' ? new DatabaseCounter(app.store.db, windowMs, app.log) : new MemoryCounter(windowMs);
}

/**
 * In memory: a limit per process is what one machine needs (SQLite is one process's), and the
 * counters may vanish with a restart.
 */
export class MemoryCounter implements RequestCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = Date.now();

  constructor(private readonly windowMs: number) {}

  add(caller: string): WindowCount {
    const now = Date.now();
    if (now - this.lastSweep >= this.windowMs) this.sweep(now);
    let w = this.windows.get(caller);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(caller, w);
    }
    w.count += 1;
    return { count: w.count, closesInMs: w.start + this.windowMs - now };
  }

  async close(): Promise<void> {}

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [caller, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(caller);
  }
}

/**
 * In the database (PostgreSQL), shared by every API process on it, so that a caller's limit holds
 * however a load balancer spreads their requests. One statement per request; a database that
 * cannot be reached fails the request, as any query would, rather than letting it in uncounted.
 */
export class DatabaseCounter implements RequestCounter {
  // The process's clock only paces the sweeps: the database's decides which windows are over.
  private lastSweep = Date.now();
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly windowMs: number,
    private readonly log: FastifyBaseLogger,
  ) {}

  add(caller: string): Promise<WindowCount> {
    if (!this.sweeping && Date.now() - this.lastSweep >= this.windowMs) this.sweep();
    return countRequest(this.db, caller, this.windowMs);
  }

  async close(): Promise<void> {
    await this.sweeping;
  }

  /**
   * Once a window per process, beside a request rather than in its way: a window that is over
   * counts for nothing, so its row is only taking room, and a failed sweep can wait for the next.
   */
  private sweep(): void {
    this.lastSweep = Date.now();
    this.sweeping = deleteEndedWindows(this.db)
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: error }, 'removing ended rate-limit windows failed'),
      )
      .finally(() => (this.sweeping = undefined));
  }
}
