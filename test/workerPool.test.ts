import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerPool } from '../src/jobs/workerPool.js';

/** The pool that runs jobs for both dispatchers (src/jobs/workerPool.ts), driven by queues of the test's own. */
describe('WorkerPool', () => {
  it('does not run a job whose fetch ended while stop() was under way, and hands it to onError with the stop reason', async () => {
    let release: (job: { id: number }) => void = () => undefined;
    let fetched = false;
    const ran: number[] = [];
    const failed: { id: number; reason: unknown }[] = [];
    const pool = new WorkerPool<{ id: number }>({
      concurrency: 1,
      pollIntervalMs: 10_000,
      fetchNext: async () => {
        if (fetched) return undefined;
        fetched = true;
        // A claim still on its way to the database when the process is told to stop.
        return new Promise((resolve) => (release = resolve));
      },
      run: async (job) => void ran.push(job.id),
      onError: async (job, _error, signal) => void failed.push({ id: job.id, reason: signal.reason }),
      onInternalError: (error) => assert.fail(String(error)),
    });
    pool.start();
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('The server is stopping');
    const stopped = pool.stop(reason);
    release({ id: 7 });
    await stopped;
    assert.deepEqual(ran, [], 'the job was run after the stop');
    assert.deepEqual(failed, [{ id: 7, reason }]);
  });

  it('runs what it fetches, at most `concurrency` at once, and aborts running jobs on stop', async () => {
    const queue = [1, 2, 3, 4, 5];
    let running = 0;
    let most = 0;
    const done: number[] = [];
    const aborted: number[] = [];
    const pool = new WorkerPool<{ id: number }>({
      concurrency: 2,
      pollIntervalMs: 5,
      fetchNext: async () => {
        const id = queue.shift();
        return id === undefined ? undefined : { id };
      },
      run: async (job, signal) => {
        running += 1;
        most = Math.max(most, running);
        try {
          if (job.id === 5) await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
          else await new Promise((resolve) => setTimeout(resolve, 5));
          done.push(job.id);
        } finally {
          running -= 1;
        }
      },
      onError: async (job) => void aborted.push(job.id),
      onInternalError: (error) => assert.fail(String(error)),
    });
    pool.start();
    while (done.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(pool.activeCount, 1);
    await pool.stop(new Error('stop'));
    assert.deepEqual(done.sort(), [1, 2, 3, 4]);
    assert.deepEqual(aborted, [5]);
    assert.equal(most, 2);
  });
});
