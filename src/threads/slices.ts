import { setImmediate } from 'node:timers/promises';

/**
 * The longest a long job runs on the event loop before it lets the loop turn. SQLite answers a
 * query within the same turn, and a zip write returns at once while the file takes it, so a job
 * left alone runs step after step without yielding: every API request waits (issue 9: at most 50 ms).
 */
const sliceMs = 10;

/** Lets the event loop turn once the current slice of work has run `sliceMs`. */
export class Slices {
  private began = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.began < sliceMs) return;
    await setImmediate();
    this.began = performance.now();
  }
}
