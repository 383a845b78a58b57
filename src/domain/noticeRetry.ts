/**
 * The notices' clock, in one place: how often the worker looks for notices to make and send, how
 * long one attempt may take, and when a failed one is tried again.
 */
export const noticeTimings = Object.freeze({
  /** A job that ends in this process is noticed at once; one ended elsewhere waits at most this. */
  pollMs: 1_000,
  /** One attempt's whole time, connection to answer (issue 12 asks 10 s). */
  attemptTimeoutMs: 10_000,
  /**
   * How long a claimed delivery is its worker's: longer than any attempt, so that only a worker
   * that died mid-attempt loses it, and another tries it again after this.
   */
  leaseMs: 60_000,
  firstRetryMs: 1_000,
  /** Backoff stops doubling here (10 minutes): a day of retries is then about 150 attempts. */
  maxRetryMs: 600_000,
});

/** The wait after the `attempts`-th failed attempt: 1 s, 2 s, 4 s … up to maxRetryMs. */
export function retryDelayMs(attempts: number): number {
  return Math.min(noticeTimings.maxRetryMs, noticeTimings.firstRetryMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
}

export type AfterFailure = { status: 'RETRYING'; nextAttemptAt: string } | { status: 'FAILED'; nextAttemptAt: null };

/**
 * What becomes of a delivery whose `attempts`-th attempt, made at `attemptedAt`, failed: tried
 * again after its backoff, unless that would be past `giveUpAt` (its creation plus the retry
 * window, ELNPORT_WEBHOOK_RETRY_FOR_SECONDS). Both instants are the database's clock.
 */
export function afterFailure(attempts: number, attemptedAt: string, giveUpAt: string): AfterFailure {
  const next = new Date(Date.parse(attemptedAt) + retryDelayMs(attempts)).toISOString();
  return next > giveUpAt ? { status: 'FAILED', nextAttemptAt: null } : { status: 'RETRYING', nextAttemptAt: next };
}
