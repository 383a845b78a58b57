import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bySize } from '../src/export/load.js';

/**
 * Issue 7: the loader read a whole page of documents (50) at once, which for documents at the
 * content limit is 100 MiB in one query. It reads runs of documents bounded by size.
 */
describe('reading documents by size', () => {
  const MiB = 1024 * 1024;
  const lengths = (batches: number[][]) => batches.map((b) => b.reduce((sum, n) => sum + n, 0));

  it('puts documents at the content limit two to a read, small ones together, in order', () => {
    const items = [2 * MiB, 2 * MiB, 2 * MiB, 1, 2, 3, 2 * MiB];
    const batches = bySize(items, (n) => n);
    assert.deepEqual(batches.flat(), items);
    assert.deepEqual(batches.map((b) => b.length), [2, 4, 1]);
    assert.ok(lengths(batches).every((n) => n <= 4 * MiB));
  });

  it('reads one document larger than a run on its own, and nothing for nothing', () => {
    assert.deepEqual(bySize([9 * MiB, 1], (n) => n), [[9 * MiB], [1]]);
    assert.deepEqual(bySize([], (n: number) => n), []);
  });
});
