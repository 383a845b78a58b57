import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { it } from 'node:test';
import type { BlobStore } from '../../src/blobs/blobStore.js';

/**
 * What every BlobStore promises, checked alike on each (local directory, S3). `stored` lists
 * where the store keeps a blob's bytes, for the test to see them arrive and go.
 */
export function storesAndGivesBack(store: () => BlobStore, stored: (key: string) => Promise<boolean>): void {
  it('stores bytes under a key, with their size and hash, and gives them back whole or in part', async () => {
    const bytes = randomBytes(200_000);
    const blob = await store().put(Readable.from([bytes.subarray(0, 70_000), bytes.subarray(70_000)]));
    assert.match(blob.key, /^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    assert.equal(blob.size, bytes.length);
    assert.equal(blob.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.ok(await stored(blob.key), 'kept where the store keeps blobs');
    assert.deepEqual(await buffer(await store().open(blob.key)), bytes);
    assert.deepEqual(await buffer(await store().open(blob.key, { start: 10, end: 19 })), bytes.subarray(10, 20));
    await store().delete(blob.key);
    await assert.rejects(store().open(blob.key), { code: 'ENOENT' });
    assert.ok(!(await stored(blob.key)), 'gone once deleted');
    // Deleting what is gone is no error: a sweep may race a DELETE.
    await store().delete(blob.key);
  });

  it('stores bytes under a key the caller gives (a blob moved from another store keeps its key)', async () => {
    const bytes = randomBytes(50_000);
    const key = `ab/${'0123abcd-0000-4000-8000-'}${randomBytes(6).toString('hex')}`;
    const blob = await store().putAt(key, Readable.from([bytes]));
    assert.deepEqual(blob, { key, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    assert.ok(await stored(key), 'kept where the store keeps blobs');
    assert.deepEqual(await buffer(await store().open(key)), bytes);
    await store().delete(key);
  });
}
