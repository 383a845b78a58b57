import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { LocalBlobStore } from '../src/blobs/localBlobStore.js';
import { storesAndGivesBack } from './support/blobStoreContract.js';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

describe('LocalBlobStore', () => {
  let root: string;
  let store: LocalBlobStore;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-blobs-'));
    store = new LocalBlobStore(root);
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  storesAndGivesBack(() => store, async (key) => fs.existsSync(path.join(root, key)));

  it('leaves no file behind when the source fails, however soon it fails', async () => {
    const failures: (() => Readable)[] = [
      () => new Readable({ read() {} }).destroy(new Error('cut short')),
      () => {
        const source = new Readable({ read() {} });
        source.push(randomBytes(1000));
        source.destroy(new Error('cut short'));
        return source;
      },
      () => {
        const source = new Readable({ read() {} });
        source.push(randomBytes(1000));
        setImmediate(() => source.destroy(new Error('cut short')));
        return source;
      },
    ];
    // The failure raced the opening of the temporary file: a few in a hundred used to leave one.
    for (const failing of failures) {
      for (let i = 0; i < 300; i++) await assert.rejects(store.put(failing()), /cut short/);
    }
    assert.deepEqual(filesUnder(root), []);
  });
});
