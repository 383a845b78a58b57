import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStore, sqliteFile, type Store } from '../src/store/db.js';
import { closeThreads } from '../src/threads/pool.js';
import { tempDir } from './support/tempDirs.js';

/**
 * Issue 9: SQLite checkpointed its WAL inside a commit, on the event loop. A server's store has a
 * worker thread do it, and leaves the commit's own checkpoint as a backstop much further off; what
 * shows the thread at work is the database file taking in pages that no commit would have copied.
 */

const secret = 'wal-test-secret-'.repeat(3);
const rowBytes = 16 * 1024;
/** About 1,300 pages: past the 250 at which the thread checkpoints, short of the commit's 8,000. */
const rows = 300;

async function open(checkpointsOnThread: boolean): Promise<{ store: Store; dataDir: string }> {
  const dataDir = tempDir('elnport-wal-');
  const store = await openStore({ dataDir, databaseUrl: null, apiKeySecret: secret }, { checkpointsOnThread });
  await sql`create table scratch (id integer primary key, body text)`.execute(store.db);
  return { store, dataDir };
}

async function write(store: Store): Promise<void> {
  for (let i = 0; i < rows; i++) await sql`insert into scratch (body) values (${'x'.repeat(rowBytes)})`.execute(store.db);
}

async function autocheckpoint(store: Store): Promise<number> {
  const { rows: [row] } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
  return Number(row?.wal_autocheckpoint);
}

/** The size of the database file once it holds the rows, or after `ms` if it never does. */
async function fileSizeWithin(file: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let size = fs.statSync(file).size;
  while (size < rows * rowBytes && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    size = fs.statSync(file).size;
  }
  return size;
}

describe('WAL checkpoints of the embedded database', () => {
  after(closeThreads);

  it("are SQLite's own, in the commit past 1,000 pages, for a store that is not a server's", async () => {
    const { store } = await open(false);
    try {
      assert.equal(await autocheckpoint(store), 1000);
    } finally {
      await store.close();
    }
  });

  it("are a thread's for a server's store, soon after the writes; the commit's wait until 8,000 pages", async () => {
    const { store, dataDir } = await open(true);
    try {
      assert.equal(await autocheckpoint(store), 8000);
      await write(store);
      assert.ok((await fileSizeWithin(sqliteFile(dataDir), 10_000)) >= rows * rowBytes, 'the rows never reached the database file');
      const { rows: [count] } = await sql<{ n: number }>`select count(*) as n from scratch`.execute(store.db);
      assert.equal(Number(count?.n), rows);
    } finally {
      await store.close();
    }
  });

  it('stop with the store, which may close while one is under way', async () => {
    const { store, dataDir } = await open(true);
    await write(store);
    await store.close();
    // A timer left behind would read a closed file, and throw, within a tick or two.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const reopened = await openStore({ dataDir, databaseUrl: null, apiKeySecret: secret });
    try {
      const { rows: [count] } = await sql<{ n: number }>`select count(*) as n from scratch`.execute(reopened.db);
      assert.equal(Number(count?.n), rows);
    } finally {
      await reopened.close();
    }
  });

  it('closes its files once, though the store is closed twice: what the process opened since keeps working', async () => {
    const { store } = await open(true);
    await store.close();
    // The lowest free descriptors are taken next, the ones the store just gave back among them.
    const opened = Array.from({ length: 16 }, () => fs.openSync(import.meta.filename, 'r'));
    try {
      await store.close();
      for (const fd of opened) assert.ok(fs.fstatSync(fd).isFile(), `descriptor ${fd} was closed under the file that held it`);
    } finally {
      for (const fd of opened) fs.closeSync(fd);
    }
  });
});
