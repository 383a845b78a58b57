import type { FastifyReply } from 'fastify';
import { tooManyRequests } from '../domain/errors.js';

/**
 * A fixed window per caller, with RSpace's headers on every response. In memory: a limit per
 * process is what one machine needs, and the counters may vanish with a restart.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Counts one request by `caller`, sets the headers, and throws 429 past the limit. */
  hit(caller: string, reply: FastifyReply): void {
    const now = Date.now();
    if (now - this.lastSweep >= this.windowMs) this.sweep(now);
    let w = this.windows.get(caller);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(caller, w);
    }
    w.count += 1;
    reply.header('X-Rate-Limit-Limit', this.max);
    reply.header('X-Rate-Limit-Remaining', Math.max(0, this.max - w.count));
    if (w.count > this.max) {
      // Retry-After: when this caller's window closes.
      throw tooManyRequests(`Too many requests: at most ${this.max} every ${this.windowMs / 1000} s`, (w.start + this.windowMs - now) / 1000);
    }
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [caller, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(caller);
  }
}
