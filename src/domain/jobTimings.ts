/**
 * The export job lifecycle's clock, in one place: how often a worker shows it is alive, when its
 * silence means it died, how often idle workers and the sweeper look, and how many interruptions
 * a job survives. The values depend on one another (staleness on the heartbeat, recovery's delay
 * on the sweep period), so they are read from here and nowhere else.
 */
export const jobTimings = Object.freeze({
  /** A running job's row is touched at least this often, so other processes can tell it is alive. */
  heartbeatMs: 2_000,

  /**
   * A STARTED job whose heartbeat is older than this belonged to a process that died. Workers beat
   * every `heartbeatMs` (2 s), so this leaves room for a long pause (a slow disk, a stop-the-world
   * GC) before a live job would be taken for dead, while a crashed job waits at most this long
   * (and one sweep period) to run again.
   */
  staleAfterMs: 15_000,

  /**
   * How long an idle worker waits before looking for a job again when nobody wakes it: a job this
   * process queues or recovers wakes it at once, so this only bounds the wait for one queued by
   * another process sharing the database.
   */
  pollIntervalMs: 1_000,

  /** Progress is stored at most this often: a poll needs no fresher figure, and the database no more writes. */
  progressIntervalMs: 500,

  /** How many times a job interrupted by a dying process is run again before it is FAILED. */
  maxAttempts: 3,

  /**
   * How often the sweeper runs: every 5 s, often enough to notice a dead worker's job within
   * seconds of it going stale; expiry is checked on the same beat. A retention shorter than 20 s
   * (tests use 1.8 s) is swept four times within it, but never more often than every 250 ms.
   */
  sweepPeriodMs(retentionHours: number): number {
    return Math.max(250, Math.min(5_000, (retentionHours * 3_600_000) / 4));
  },
});
