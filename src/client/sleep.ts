import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits until performance.now() reaches `at`. Timers may fire a little early by this clock, so
 * the wait is repeated until it has really passed: callers rely on it for "at most one poll a second".
 * An abort rejects with the signal's reason, as fetch does.
 */
export async function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  for (let left = at - performance.now(); left > 0; left = at - performance.now()) {
    try {
      await delay(Math.ceil(left), undefined, { signal });
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    }
  }
  signal?.throwIfAborted();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepUntil(performance.now() + ms, signal);
}
