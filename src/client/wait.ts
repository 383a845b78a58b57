import { ClientError, isTransient } from './errors.js';
import { isTerminal } from './job.js';
import { sleepUntil } from './sleep.js';
import type { Job, WaitOptions } from './types.js';

const minimumIntervalMs = 1000;
const maximumBackoffMs = 10_000;
const backoffFactor = 1.5;
export const defaultWaitTimeoutMs = 6 * 60 * 60 * 1000;
/**
 * Polls that may fail in a row before waiting gives up: enough to ride out a server restart
 * (about a minute at the longest backoff), after which the job is re-run on the server.
 */
const maximumTransientFailures = 10;

/**
 * Polls until the job is terminal. The server's Retry-After is followed when it sends one;
 * otherwise (RSpace) the interval grows from 1 s to 10 s. The wait is counted from the answer, as
 * Retry-After means, so the requests themselves are always more than a second apart.
 */
export async function waitForJob(getJob: (signal?: AbortSignal) => Promise<Job>, id: number, options: WaitOptions = {}): Promise<Job> {
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? defaultWaitTimeoutMs;
  const deadline = performance.now() + timeoutMs;
  let backoff = minimumIntervalMs;
  let failures = 0;
  for (;;) {
    let wait = backoff;
    try {
      const job = await getJob(signal);
      failures = 0;
      options.onUpdate?.(job);
      if (isTerminal(job)) return job;
      if (job.retryAfterSeconds !== undefined) wait = job.retryAfterSeconds * 1000;
    } catch (error) {
      if (!isTransient(error) || ++failures > maximumTransientFailures) throw error;
    }
    backoff = Math.min(backoff * backoffFactor, maximumBackoffMs);
    const next = performance.now() + Math.max(wait, minimumIntervalMs);
    await sleepUntil(Math.min(next, deadline), signal);
    if (next > deadline) {
      throw new ClientError('timeout', `Job ${id} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    }
  }
}
