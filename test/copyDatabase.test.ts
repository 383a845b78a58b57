import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../src/content/users.js';
import { advanceIdSequences, checkTargetRows, compareCounts, copyRows, openSourceDatabase } from '../src/store/copyDatabase.js';
import { openStore, type Store } from '../src/store/db.js';
import { postgresSkip } from './support/lab.js';
import { createPostgresDatabase } from './support/process.js';
import { tempDir } from './support/tempDirs.js';

/**
 * The table copy of `elnport admin migrate` on its own, with tables of several batches (500 rows
 * each): the keyset walk over single and two-column keys, a rerun after rows went missing in the
 * middle of a walk, and a row that disagrees. Real SQLite in, real PostgreSQL out.
 */

const secret = 'a secret of thirty-two characters or more';
const now = '2026-12-07T00:00:00.000Z';

describe('copyRows: an embedded database into PostgreSQL, a batch at a time', { skip: postgresSkip }, () => {
  let dataDir: string;
  let target: { url: string; drop(): Promise<void> };
  let store: Store;
  let documents: number[];

  before(async () => {
    dataDir = tempDir('elnport-copy-');
    const embedded = await openStore({ databaseUrl: null, dataDir, apiKeySecret: secret });
    const { user } = await createUser(embedded.db, embedded.apiKeys, { username: 'alice', email: 'alice@lab.org', firstName: 'Alice', lastName: 'Tester', role: 'ROLE_USER' });
    const rows = Array.from({ length: 1234 }, (_, i) => ({ kind: 'NORMAL', name: `Doc ${i}`, owner_id: user.id, parent_id: null, created: now, modified: now, form_id: 1 }));
    for (let i = 0; i < rows.length; i += 500) await embedded.db.insertInto('records').values(rows.slice(i, i + 500)).execute();
    documents = (await embedded.db.selectFrom('records').select('id').where('name', 'in', ['Doc 0', 'Doc 1']).orderBy('id').execute()).map((r) => r.id);
    // 600 versions of one document and 500 of the next: a batch of the (document_id, version) walk ends inside the first.
    const versions = documents.flatMap((id, n) =>
      Array.from({ length: n === 0 ? 600 : 500 }, (_, v) => ({ document_id: id, version: v + 1, name: `v${v + 1}`, tags: '', modified: now, fields_json: '[]' })),
    );
    for (let i = 0; i < versions.length; i += 500) await embedded.db.insertInto('document_versions').values(versions.slice(i, i + 500)).execute();
    // PostgreSQL keeps a real in 4 bytes: the value reads back rounded, and must still count as equal.
    await embedded.db
      .insertInto('export_jobs')
      .values({ owner_id: user.id, format: 'html', scope: 'user', request_json: '{}', status: 'FAILED', percent_complete: 100 / 3, created: now })
      .execute();
    await embedded.close();
    target = await createPostgresDatabase(process.env.DATABASE_URL!);
    store = await openStore({ databaseUrl: target.url, dataDir, apiKeySecret: secret });
  });

  after(async () => {
    await store?.close();
    await target?.drop();
  });

  async function copy(): Promise<Record<string, number>> {
    const source = openSourceDatabase(dataDir);
    try {
      await checkTargetRows(source, store.db);
      const copies = await copyRows(source, store.db, () => undefined);
      await advanceIdSequences(store.db);
      for (const { table, source: from, target: to } of await compareCounts(source, store.db)) assert.equal(to, from, `${table}: as many rows in the target`);
      return Object.fromEntries(copies.map((c) => [c.table, c.copied]));
    } finally {
      await source.destroy();
    }
  }

  it('copies every row of tables longer than a batch, keys unchanged', async () => {
    const copied = await copy();
    assert.equal(copied.records, 1234 + 2, "alice's documents, home and gallery folders");
    assert.equal(copied.document_versions, 1100);
    assert.equal(copied.export_jobs, 1);
    assert.equal(copied.forms, 0, "the target's migrations made the same two forms");
    const last = await store.db.selectFrom('document_versions').selectAll().where('document_id', '=', documents[1]!).orderBy('version', 'desc').executeTakeFirstOrThrow();
    assert.equal(last.version, 500);
    assert.equal(last.name, 'v500');
  });

  it('a run after rows went missing mid-walk copies only those; one more copies nothing', async () => {
    await store.db.deleteFrom('document_versions').where('document_id', '=', documents[0]!).where('version', '>', 450).execute();
    await store.db.deleteFrom('document_versions').where('document_id', '=', documents[1]!).where('version', '<', 50).execute();
    const second = await copy();
    assert.equal(second.document_versions, 150 + 49);
    assert.equal(second.records, 0);
    assert.equal(second.export_jobs, 0, 'the rounded real is the same value');
    const third = await copy();
    assert.deepEqual(Object.values(third).filter((n) => n > 0), []);
  });

  it('refuses a target whose row disagrees, naming the row and the column', async () => {
    await store.db.updateTable('document_versions').set({ name: 'changed' }).where('document_id', '=', documents[0]!).where('version', '=', 599).execute();
    const source = openSourceDatabase(dataDir);
    try {
      await assert.rejects(
        checkTargetRows(source, store.db),
        new RegExp(`document_versions \\(document_id ${documents[0]}, version 599\\) differs in name`),
      );
    } finally {
      await source.destroy();
    }
  });
  it('new rows in the target take ids past the copied ones', async () => {
    const { user } = await createUser(store.db, store.apiKeys, { username: 'bob', email: 'bob@lab.org', firstName: 'Bob', lastName: 'Tester', role: 'ROLE_USER' });
    assert.equal(user.id, 2, 'after alice, the one user copied');
    const record = await store.db.insertInto('records').values({ kind: 'NORMAL', name: 'New', owner_id: user.id, parent_id: null, created: now, modified: now }).returning('id').executeTakeFirstOrThrow();
    assert.ok(record.id > 1236, `a new record's id (${record.id}) is past the copied ones`);
  });

});
