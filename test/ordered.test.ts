import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { inOrder } from '../src/export/ordered.js';

/** Turns of the event loop, so that work, source and consumer interleave as fast-check draws them. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Rejections nobody handled while these tests ran: inOrder must handle those of work it drops. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

/** Long enough for Node to report a rejection left unhandled (it looks once the microtasks are done). */
async function settled(): Promise<void> {
  await turns(10);
  await new Promise((resolve) => setTimeout(resolve, 1));
}

interface Item {
  turns: number;
  fails: boolean;
}

/** A source that counts what is pulled from it and whether it was closed, after `turns` of its own per item, failing at `failsAt`. */
function countingSource(count: number, options: { async: boolean; turns?: number[]; failsAt?: number }) {
  const seen = { pulled: 0, closed: false };
  function pull(i: number): number {
    if (i === options.failsAt) throw new Error('source failed');
    seen.pulled++;
    return i;
  }
  const source = options.async
    ? (async function* () {
      try {
        for (let i = 0; i < count; i++) {
          await turns(options.turns?.[i] ?? 0);
          yield pull(i);
        }
      } finally {
        seen.closed = true;
      }
    })()
    : (function* () {
      try {
        for (let i = 0; i < count; i++) yield pull(i);
      } finally {
        seen.closed = true;
      }
    })();
  return { source, seen };
}

/** Work on item i: `items[i].turns` turns, then its result or its failure; counts how many run at once. */
function countingWork(items: Item[]) {
  const seen = { running: 0, most: 0 };
  const work = async (i: number): Promise<string> => {
    seen.running++;
    seen.most = Math.max(seen.most, seen.running);
    try {
      await turns(items[i]!.turns);
      if (items[i]!.fails) throw new Error(`item ${i} failed`);
      return `result ${i}`;
    } finally {
      seen.running--;
    }
  };
  return { work, seen };
}

const items = fc.array(fc.record({ turns: fc.nat(6), fails: fc.boolean() }), { maxLength: 30 })
  // Mostly without failures, so that long runs get through too.
  .map((drawn) => drawn.map((item, i) => ({ ...item, fails: item.fails && i % 4 === 3 })));

describe('inOrder', () => {
  before(() => process.on('unhandledRejection', onUnhandled));
  after(() => process.off('unhandledRejection', onUnhandled));

  it('yields what the sequential map yields, and fails where it fails, with at most `window` at work', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        items,
        fc.boolean(),
        fc.array(fc.nat(4), { maxLength: 30 }),
        fc.option(fc.nat(35), { nil: undefined }),
        async (window, items, asyncSource, consumerTurns, sourceFailsAt) => {
          const { source, seen: pulls } = countingSource(items.length, { async: asyncSource, turns: consumerTurns, failsAt: sourceFailsAt });
          const { work, seen } = countingWork(items);
          const results: string[] = [];
          let failure: Error | undefined;
          try {
            for await (const result of inOrder(source, work, window)) {
              results.push(result);
              await turns(consumerTurns[results.length - 1] ?? 0);
            }
          } catch (error) {
            failure = error as Error;
          }

          const workFailsAt = items.findIndex((item) => item.fails);
          const failsAt = Math.min(workFailsAt === -1 ? Infinity : workFailsAt, sourceFailsAt ?? Infinity);
          const expected = Math.min(items.length, failsAt);
          assert.deepEqual(results, Array.from({ length: expected }, (_, i) => `result ${i}`));
          assert.equal(failure?.message, failsAt >= items.length ? undefined : failsAt === sourceFailsAt ? 'source failed' : `item ${failsAt} failed`);
          assert.ok(seen.most <= window, `${seen.most} at work with a window of ${window}`);
          // At the turn of item k, at most items k .. k + window - 1 have been pulled.
          assert.ok(pulls.pulled <= expected + window, `${pulls.pulled} pulled for ${expected} results and a window of ${window}`);
          assert.ok(pulls.closed, 'the source was left open');
          const pulled = pulls.pulled;
          await settled();
          assert.equal(pulls.pulled, pulled, 'pulled from the source after the end');
          assert.deepEqual(unhandled, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops pulling when the consumer leaves early, and handles the failures of work it drops', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.nat(6), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.nat(),
        async (window, delays, asyncSource, stop) => {
          const leaveAfter = 1 + (stop % delays.length);
          // Everything after the last result taken fails, so dropped work rejects once nobody waits for it.
          const items = delays.map((turns, i) => ({ turns, fails: i >= leaveAfter }));
          const { source, seen: pulls } = countingSource(items.length, { async: asyncSource });
          const { work, seen } = countingWork(items);
          const results: string[] = [];
          for await (const result of inOrder(source, work, window)) {
            results.push(result);
            if (results.length === leaveAfter) break;
          }

          assert.deepEqual(results, Array.from({ length: leaveAfter }, (_, i) => `result ${i}`));
          assert.ok(pulls.pulled <= leaveAfter - 1 + window, `${pulls.pulled} pulled for ${leaveAfter} results and a window of ${window}`);
          assert.ok(pulls.closed, 'the source was left open');
          const pulled = pulls.pulled;
          await settled();
          assert.equal(pulls.pulled, pulled, 'pulled from the source after the consumer left');
          assert.equal(seen.running, 0);
          assert.ok(seen.most <= window);
          assert.deepEqual(unhandled, []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps `window` items at work ahead of the oldest, and yields in source order whatever order they finish in', async () => {
    const release: (() => void)[] = [];
    let started = 0;
    const work = (i: number): Promise<number> => {
      started++;
      return new Promise((resolve) => release.push(() => resolve(i)));
    };
    const results: number[] = [];
    const consumer = (async () => {
      for await (const result of inOrder([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], work, 3)) results.push(result);
    })();
    await turns(3);
    assert.equal(started, 3);
    // The newest finish first; nothing is yielded until the oldest has.
    release[2]!();
    release[1]!();
    await turns(3);
    assert.deepEqual([started, results], [3, []]);
    release[0]!();
    await turns(3);
    // 0, 1 and 2 were yielded, and each left room for one more.
    assert.deepEqual([started, results], [6, [0, 1, 2]]);
    for (let i = 3; i < 10; i++) {
      release[i]!();
      await turns(3);
    }
    await consumer;
    assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('pulls no more once a work has failed, even before the failure’s turn', async () => {
    let releaseFirst = (): void => {};
    const { source, seen } = countingSource(10, { async: false });
    const work = (i: number): Promise<number> => {
      if (i === 0) return new Promise((resolve) => (releaseFirst = () => resolve(0)));
      return i === 1 ? Promise.reject(new Error('item 1 failed')) : Promise.resolve(i);
    };
    const results: number[] = [];
    const consumer = (async () => {
      for await (const result of inOrder(source, work, 3)) results.push(result);
    })();
    await turns(3);
    releaseFirst();
    await assert.rejects(consumer, /item 1 failed/);
    // 0, 1 and 2 filled the window; taking 0 out would have pulled 3 were it not for 1's failure.
    assert.deepEqual([results, seen.pulled, seen.closed], [[0], 3, true]);
  });

  it('fails at the item whose work throws rather than rejects', async () => {
    const work = (i: number): Promise<number> => {
      if (i === 2) throw new Error('thrown, not rejected');
      return Promise.resolve(i);
    };
    const results: number[] = [];
    await assert.rejects(async () => {
      for await (const result of inOrder([0, 1, 2, 3], work, 4)) results.push(result);
    }, /thrown, not rejected/);
    assert.deepEqual(results, [0, 1]);
  });

  it('refuses a window that is not a whole number from 1', async () => {
    for (const window of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(inOrder([1], async (x) => x, window).next(), RangeError);
    }
  });
});
