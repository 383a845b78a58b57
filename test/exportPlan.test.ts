import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { azSortKey } from '../src/domain/azOrder.js';
import type { User } from '../src/domain/model.js';
import type { Viewer } from '../src/domain/permissions.js';
import { discardPlan, keptAtFirst, placeReferencedFiles, planExport, walkStep } from '../src/export/plan.js';
import { LocalArchiveStore } from '../src/blobs/localArchiveStore.js';
import { Sweeper } from '../src/jobs/sweeper.js';
import { loadConfig } from '../src/config.js';
import { insertExportJob } from '../src/store/queries/exportJobs.js';
import type { FileReference, PlanRecord } from '../src/store/queries/exportPlan.js';
import { forEachDatabase, useLab, type Lab } from './support/lab.js';
import { upload } from './support/labWork.js';
import { buildPlanLab, exportRequest, sysadminViewer, viewerOf, type PlanLab } from './support/planLab.js';

const user = (id: number): User => ({
  id,
  username: `u${id}`,
  email: '',
  firstName: '',
  lastName: '',
  role: 'ROLE_USER',
  affiliation: null,
  enabled: true,
  homeFolderId: 0,
  galleryFolderId: 0,
  created: '',
});
/** Owner 1 reading alone: records of owner 2 are not readable. */
const viewer: Viewer = { user: user(1), groups: [] };
const record = (id: number, kind: PlanRecord['kind'], ownerId = 1, modified = '2026-01-01T00:00:00.000Z'): PlanRecord => ({
  id,
  kind,
  name: `r${id}`,
  ownerId,
  parentId: null,
  created: modified,
  modified,
});

describe('planning rules, pure', () => {
  it('keeps every folder at first of an incremental export, and only documents and files changed since', () => {
    const since = '2026-06-01T00:00:00.000Z';
    assert.equal(keptAtFirst(record(1, 'DOCUMENT'), null), true);
    assert.equal(keptAtFirst(record(1, 'DOCUMENT'), since), false);
    assert.equal(keptAtFirst(record(1, 'MEDIA', 1, since), since), true);
    assert.equal(keptAtFirst(record(1, 'FOLDER'), since), true);
    assert.equal(keptAtFirst(record(1, 'NOTEBOOK'), since), true);
  });

  it('walks on through a folder it may not read, skipping it and what it may not read', () => {
    const children = [record(1, 'DOCUMENT'), record(2, 'FOLDER', 2), record(3, 'DOCUMENT', 2), record(4, 'NOTEBOOK'), record(5, 'MEDIA')];
    const { rows, skipped } = walkStep(viewer, children, null);
    assert.equal(skipped, 2);
    assert.deepEqual(
      rows.map((r) => [r.record.id, r.walk]),
      [
        [1, 0],
        [2, 2],
        [4, 1],
        [5, 0],
      ],
    );
    assert.ok(rows.every((r) => r.ownFolder && r.linkLevel === 0 && r.sortKey.length > 0));
  });

  it('counts skipped records inside whatever changed, and leaves unchanged ones out of an incremental walk', () => {
    const since = '2026-06-01T00:00:00.000Z';
    const { rows, skipped } = walkStep(viewer, [record(1, 'DOCUMENT'), record(2, 'DOCUMENT', 1, since), record(3, 'DOCUMENT', 2), record(4, 'FOLDER')], since);
    assert.equal(skipped, 1);
    assert.deepEqual(rows.map((r) => r.record.id), [2, 4]);
  });

  const ref = (documentId: number, file: PlanRecord, size: number, planned: FileReference['planned']): FileReference => ({ documentId, file, size, planned });

  it('adds the readable files the plan lacks, once, and counts each copy per document that shows it', () => {
    const mine = record(10, 'MEDIA');
    const theirs = record(11, 'MEDIA', 2);
    const copied = record(12, 'MEDIA');
    const own = record(13, 'MEDIA');
    const refs = [ref(1, mine, 100, null), ref(2, mine, 100, null), ref(2, mine, 100, null), ref(1, theirs, 50, null), ref(3, copied, 7, 'copy'), ref(3, own, 1000, 'own')];
    const asCopies = placeReferencedFiles(viewer, refs, true);
    assert.deepEqual(asCopies.files.map((f) => f.id), [10]);
    assert.equal(asCopies.copyBytes, 100 + 100 + 7);
    const inOwnFolders = placeReferencedFiles(viewer, refs, false);
    assert.deepEqual(inOwnFolders.files.map((f) => f.id), [10]);
    assert.equal(inOwnFolders.copyBytes, 0);
  });
});

interface Row {
  record_id: number;
  kind: string;
  own_folder: number;
  link_level: number;
  walk: number;
  sort_key: string;
}

async function planRows(lab: Lab, jobId: number): Promise<Row[]> {
  return lab.server.store.db
    .selectFrom('export_plan')
    .select(['record_id', 'kind', 'own_folder', 'link_level', 'walk', 'sort_key'])
    .where('job_id', '=', jobId)
    .orderBy('record_id')
    .execute();
}

/** The plan as sets: documents, folders and notebooks, files in their own folder, copied files. */
async function planSets(lab: Lab, jobId: number) {
  const rows = await planRows(lab, jobId);
  const ids = (keep: (r: Row) => boolean) => rows.filter(keep).map((r) => r.record_id);
  return {
    documents: ids((r) => r.kind === 'DOCUMENT'),
    folders: ids((r) => r.kind === 'FOLDER' || r.kind === 'NOTEBOOK'),
    files: ids((r) => r.kind === 'MEDIA' && r.own_folder === 1),
    copies: ids((r) => r.kind === 'MEDIA' && r.own_folder === 0),
  };
}

const sorted = (...ids: number[]) => [...ids].sort((a, b) => a - b);

forEachDatabase((kind) => {
  describe('planExport: the plan in the database', () => {
    // No worker runs jobs here, and the service (with its sweeper) is stopped: the sweeper's
    // own test below runs one pass by hand.
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    let w: PlanLab;
    let nextJob = 1000;
    const job = () => ++nextJob;

    before(async () => {
      await lab().server.exports.stop();
      w = await buildPlanLab(lab());
    });

    it("plans a user's work: every live record of theirs, files in their own folders, what they may not read left out", async () => {
      const jobId = job();
      const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.alice.id), exportRequest('user'));
      const { ids } = w;
      assert.deepEqual(await planSets(lab(), jobId), {
        // insideBob sits in bob's folder, which is not alice's: it is hers all the same. zeta's link to bob's notes is not followed.
        documents: sorted(ids.day1, ids.day2, ids.day10, ids.zeta, ids.apfel, ids.insideBob),
        folders: sorted(ids.aliceHome, ids.aliceGallery, ids.project, ids.notebook, ids.empty),
        files: sorted(ids.gel, ids.notes),
        copies: [],
      });
      assert.deepEqual(plan.counts, { documents: 6, folders: 5, files: 2, skipped: 0 });
      assert.equal(plan.fileBytes, w.sizes.gel + w.sizes.notes);
      assert.equal(plan.jobId, jobId);
      assert.equal(plan.manifestScope, 'USER');
      assert.equal(plan.scopeLabel, 'alice');
      assert.deepEqual(plan.users.map((u) => u.username), ['alice']);
    });

    it('follows links to documents the viewer may read, and brings the files they show into their own folders', async () => {
      const db = lab().server.store.db;
      const sysadmin = await sysadminViewer(lab());
      const { ids } = w;
      const linked = job();
      const plan = await planExport(db, linked, sysadmin, exportRequest('user', { targetId: w.alice.id }));
      const sets = await planSets(lab(), linked);
      assert.ok(sets.documents.includes(ids.bobNotes), 'bob notes, linked from zeta, comes along');
      assert.ok(sets.files.includes(ids.bobBin), 'and the file it shows, in its own folder');
      assert.ok(!sets.documents.includes(ids.bobStray) && !sets.folders.includes(ids.bobFolder) && !sets.folders.includes(ids.bobHome));
      assert.deepEqual(plan.counts, { documents: 7, folders: 5, files: 3, skipped: 0 });
      assert.equal(plan.fileBytes, w.sizes.gel + w.sizes.notes + w.sizes.bobBin);
      const levels = new Map((await planRows(lab(), linked)).map((r) => [r.record_id, r.link_level]));
      assert.equal(levels.get(ids.bobNotes), 1);
      assert.equal(levels.get(ids.zeta), 0);

      const unlinked = job();
      await planExport(db, unlinked, sysadmin, exportRequest('user', { targetId: w.alice.id, maxLinkLevel: 0 }));
      const without = await planSets(lab(), unlinked);
      assert.ok(!without.documents.includes(ids.bobNotes) && !without.files.includes(ids.bobBin));
    });

    it("plans a group: its members' work and the PI's shared folder", async () => {
      const jobId = job();
      const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.pi.id), exportRequest('group', { targetId: w.groupId }));
      const { ids } = w;
      assert.deepEqual(await planSets(lab(), jobId), {
        documents: sorted(ids.day1, ids.day2, ids.day10, ids.zeta, ids.apfel, ids.insideBob, ids.patPlan),
        folders: sorted(ids.aliceHome, ids.aliceGallery, ids.project, ids.notebook, ids.empty, ids.patHome, ids.patGallery, ids.shared),
        files: sorted(ids.gel, ids.notes),
        copies: [],
      });
      assert.equal(plan.scopeLabel, 'Pat lab');
      assert.equal(plan.manifestScope, 'GROUP');
      assert.deepEqual(plan.users.map((u) => u.username), ['alice', 'pat']);
      assert.deepEqual(plan.counts, { documents: 7, folders: 8, files: 2, skipped: 0 });
    });

    it('plans a selected folder: what is inside it, walking on through a folder the viewer may not read, files copied beside the documents showing them', async () => {
      const jobId = job();
      const { ids } = w;
      const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.alice.id), exportRequest('selection', { selections: [ids.project], maxLinkLevel: 0 }));
      assert.deepEqual(await planSets(lab(), jobId), {
        documents: sorted(ids.day1, ids.day2, ids.day10, ids.insideBob),
        folders: sorted(ids.project, ids.notebook),
        files: [],
        copies: [ids.gel],
      });
      // bob's stray document and bob's folder.
      assert.equal(plan.counts.skipped, 2);
      assert.deepEqual(plan.counts, { documents: 4, folders: 2, files: 1, skipped: 2 });
      // gel.png is copied twice: beside Day 1 and beside Day 2.
      assert.equal(plan.fileBytes, 2 * w.sizes.gel);
      assert.equal(plan.scopeLabel, 'Project');
      assert.equal(plan.manifestScope, 'SELECTION');
      assert.deepEqual(plan.users, []);
      assert.ok((await planRows(lab(), jobId)).every((r) => r.walk === 0), 'no row is left half walked');
    });

    it('plans once what a selection names twice (a folder and what it holds), and skips each unreadable record once', async () => {
      const jobId = job();
      const { ids } = w;
      const plan = await planExport(
        lab().server.store.db,
        jobId,
        await viewerOf(lab(), w.alice.id),
        exportRequest('selection', { selections: [ids.aliceHome, ids.project, ids.day1], maxLinkLevel: 0 }),
      );
      assert.deepEqual(await planSets(lab(), jobId), {
        documents: sorted(ids.day1, ids.day2, ids.day10, ids.zeta, ids.apfel, ids.insideBob),
        folders: sorted(ids.aliceHome, ids.project, ids.notebook, ids.empty),
        files: [],
        copies: sorted(ids.gel, ids.notes),
      });
      // Bob's document and folder, once each, though both selected folders hold them (the plan
      // held in memory counted them once per selected folder).
      assert.deepEqual(plan.counts, { documents: 6, folders: 4, files: 2, skipped: 2 });
      assert.equal(plan.fileBytes, 2 * w.sizes.gel + w.sizes.notes);
    });

    it('follows links level by level up to maxLinkLevel, copying what the linked documents show', async () => {
      const db = lab().server.store.db;
      const alice = await viewerOf(lab(), w.alice.id);
      const { ids } = w;
      const at = async (maxLinkLevel: number) => {
        const jobId = job();
        const plan = await planExport(db, jobId, alice, exportRequest('selection', { selections: [ids.day1], maxLinkLevel }));
        return { plan, sets: await planSets(lab(), jobId), levels: new Map((await planRows(lab(), jobId)).map((r) => [r.record_id, r.link_level])) };
      };
      const none = await at(0);
      assert.deepEqual(none.sets, { documents: [ids.day1], folders: [], files: [], copies: [ids.gel] });
      assert.equal(none.plan.scopeLabel, 'Day 1');
      const one = await at(1);
      assert.deepEqual(one.sets.documents, sorted(ids.day1, ids.zeta));
      const two = await at(2);
      assert.deepEqual(two.sets, { documents: sorted(ids.day1, ids.zeta, ids.apfel), folders: [], files: [], copies: sorted(ids.gel, ids.notes) });
      assert.deepEqual([two.levels.get(ids.day1), two.levels.get(ids.zeta), two.levels.get(ids.apfel)], [0, 1, 2]);
      assert.equal(two.plan.fileBytes, w.sizes.gel + w.sizes.notes);
      // Nothing lies further: a higher level plans the same.
      assert.deepEqual((await at(5)).sets, two.sets);
    });

    it('keeps a selected file in its own folder, and counts what is selected but missing or unreadable as skipped', async () => {
      const jobId = job();
      const { ids } = w;
      const plan = await planExport(
        lab().server.store.db,
        jobId,
        await viewerOf(lab(), w.alice.id),
        exportRequest('selection', { selections: [ids.day1, ids.gel, ids.bobNotes, 2_000_000_000], maxLinkLevel: 0 }),
      );
      assert.deepEqual(await planSets(lab(), jobId), { documents: [ids.day1], folders: [], files: [ids.gel], copies: [] });
      assert.deepEqual(plan.counts, { documents: 1, folders: 0, files: 1, skipped: 2 });
      assert.equal(plan.fileBytes, w.sizes.gel);
      assert.equal(plan.scopeLabel, 'SELECTION');
    });

    it('refuses, as at submission, a selection of nothing the viewer may read', async () => {
      await assert.rejects(
        planExport(lab().server.store.db, job(), await viewerOf(lab(), w.alice.id), exportRequest('selection', { selections: [w.ids.bobNotes] })),
        (error: Error & { httpCode?: number }) => /None of the selected records/.test(error.message),
      );
    });

    it('plans again over what an earlier attempt left, and discardPlan removes it all', async () => {
      const db = lab().server.store.db;
      const jobId = job();
      const other = job();
      const alice = await viewerOf(lab(), w.alice.id);
      await planExport(db, jobId, alice, exportRequest('user'));
      await planExport(db, other, alice, exportRequest('user'));
      const again = await planExport(db, jobId, alice, exportRequest('selection', { selections: [w.ids.notebook], maxLinkLevel: 0 }));
      assert.deepEqual(await planSets(lab(), jobId), { documents: sorted(w.ids.day2, w.ids.day10), folders: [w.ids.notebook], files: [], copies: [w.ids.gel] });
      assert.deepEqual(again.counts, { documents: 2, folders: 1, files: 1, skipped: 0 });
      await discardPlan(db, jobId);
      assert.deepEqual(await planRows(lab(), jobId), []);
      assert.equal((await planRows(lab(), other)).length, 13, "another job's plan stays");
    });

    it('stores each record with its A–Z key', async () => {
      const jobId = job();
      await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.alice.id), exportRequest('user'));
      const keys = new Map((await planRows(lab(), jobId)).map((r) => [r.record_id, r.sort_key]));
      // Äpfel files under A, before Day 1, which comes before Day 2 and Day 10.
      const order = [w.ids.apfel, w.ids.day1, w.ids.day2, w.ids.day10, w.ids.zeta].map((id) => keys.get(id)!);
      assert.deepEqual([...order].sort(), order);
    });

    it('compares A–Z keys by code point on PostgreSQL, whatever collation the database has', { skip: kind !== 'postgres' }, async () => {
      // Order alone would not tell: a database made with C.UTF-8, as CI's is, sorts keys right without it.
      const { rows } = await sql<{ collation_name: string | null }>`select collation_name from information_schema.columns where table_name = 'export_plan' and column_name = 'sort_key'`.execute(lab().server.store.db);
      assert.deepEqual(rows, [{ collation_name: 'C' }]);
    });

    it('the sweeper removes the plans of jobs that are not running, and leaves a running one', async () => {
      const l = lab();
      const db = l.server.store.db;
      const alice = await viewerOf(l, w.alice.id);
      const running = await insertExportJob(db, w.alice.id, exportRequest('user'), new Date().toISOString());
      await db.updateTable('export_jobs').set({ status: 'STARTED', worker_id: 'test' }).where('id', '=', running.id).execute();
      const done = await insertExportJob(db, w.bob.id, exportRequest('user'), new Date().toISOString());
      await db.updateTable('export_jobs').set({ status: 'COMPLETED' }).where('id', '=', done.id).execute();
      const gone = job();
      for (const jobId of [running.id, done.id, gone]) await planExport(db, jobId, alice, exportRequest('user'));

      const sweeper = new Sweeper(
        { db, dialect: l.server.store.dialect, blobs: l.server.blobs, archives: l.server.archives, config: loadConfig({ ELNPORT_DATA_DIR: l.dataDir }), log: l.server.app.log },
        () => undefined,
      );
      await sweeper.sweep();
      assert.equal((await planRows(l, running.id)).length, 13);
      assert.deepEqual(await planRows(l, done.id), []);
      assert.deepEqual(await planRows(l, gone), []);
      await db.updateTable('export_jobs').set({ status: 'FAILED' }).where('id', '=', running.id).execute();
      await sweeper.sweep();
      assert.deepEqual(await planRows(l, running.id), []);
    });

    it('the sweeper goes on with its other steps when one fails: plans go though the drafts cannot be listed', async () => {
      const l = lab();
      const db = l.server.store.db;
      const gone = job();
      await planExport(db, gone, await viewerOf(l, w.alice.id), exportRequest('user'));
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-archives-'));
      const archives = new LocalArchiveStore(root);
      fs.rmSync(path.join(root, 'tmp'), { recursive: true });
      await assert.rejects(archives.drafts(), { code: 'ENOENT' }, 'the drafts step does fail');
      const sweeper = new Sweeper(
        { db, dialect: l.server.store.dialect, blobs: l.server.blobs, archives, config: loadConfig({ ELNPORT_DATA_DIR: l.dataDir }), log: l.server.app.log },
        () => undefined,
      );
      await sweeper.sweep();
      assert.deepEqual(await planRows(l, gone), []);
      fs.rmSync(root, { recursive: true, force: true });
    });

    it('the sweeper stops only once a pass under way has ended (the database closes next)', async () => {
      const l = lab();
      const sweeper = new Sweeper(
        { db: l.server.store.db, dialect: l.server.store.dialect, blobs: l.server.blobs, archives: l.server.archives, config: loadConfig({ ELNPORT_DATA_DIR: l.dataDir }), log: l.server.app.log },
        () => undefined,
      );
      let ended = false;
      void sweeper.sweep().then(() => (ended = true));
      await sweeper.stop();
      assert.ok(ended);
    });

    describe('more than a page', () => {
      // 2,345 documents in one folder, every 80th linking one of 30 documents elsewhere and every
      // 7th showing one file: each step of planning reads and writes several pages.
      const count = 2345;
      let bulk: number;
      let targets: number[];
      let documents: number[];
      let fileId: number;
      let ownerId: number;
      const fileSize = 123;

      before(async () => {
        const l = lab();
        const db = l.server.store.db;
        const owner = await l.createUser('bulk');
        ownerId = owner.id;
        const folder = async (name: string) => {
          const r = await l.call('POST', '/folders', { key: owner.key, body: { name, parentFolderId: owner.homeFolderId } });
          assert.equal(r.status, 201, r.text);
          return r.body.id as number;
        };
        bulk = await folder('Bulk');
        const elsewhere = await folder('Elsewhere');
        fileId = await upload(l, owner, 'plate.csv', 'text/csv', Buffer.alloc(fileSize, 'c'));
        const now = new Date().toISOString();
        const insertDocuments = async (parent: number, n: number) => {
          const ids: number[] = [];
          for (let i = 0; i < n; i += 500) {
            const rows = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ kind: 'DOCUMENT', name: `Run ${i + j}`, owner_id: owner.id, parent_id: parent, created: now, modified: now }));
            ids.push(...(await db.insertInto('records').values(rows).returning('id').execute()).map((r) => r.id));
          }
          return ids;
        };
        targets = await insertDocuments(elsewhere, 30);
        documents = await insertDocuments(bulk, count);
        for (let i = 0; i < count; i += 500) {
          const slice = documents.slice(i, i + 500);
          const fields = await db
            .insertInto('fields')
            .values(slice.map((id) => ({ document_id: id, name: 'Data', type: 'TEXT', column_index: 0, content: '<p>run</p>', modified: now })))
            .returning(['id', 'document_id'])
            .execute();
          const at = (f: { document_id: number }) => documents.indexOf(f.document_id);
          const links = fields.filter((f) => at(f) % 80 === 0).map((f) => ({ field_id: f.id, target_id: targets[at(f) / 80]! }));
          const shows = fields.filter((f) => at(f) % 7 === 0).map((f) => ({ field_id: f.id, file_id: fileId }));
          if (links.length) await db.insertInto('field_links').values(links).execute();
          if (shows.length) await db.insertInto('field_files').values(shows).execute();
        }
      });

      it('walks a selected folder, follows the links of every page, and counts every copy', async () => {
        const viewer = await viewerOf(lab(), ownerId);
        const jobId = job();
        const plan = await planExport(lab().server.store.db, jobId, viewer, exportRequest('selection', { selections: [bulk], maxLinkLevel: 1 }));
        const sets = await planSets(lab(), jobId);
        assert.deepEqual(sets.documents, sorted(...documents, ...targets));
        assert.deepEqual(sets.folders, [bulk]);
        assert.deepEqual(sets.copies, [fileId]);
        assert.deepEqual(plan.counts, { documents: count + 30, folders: 1, files: 1, skipped: 0 });
        assert.equal(plan.fileBytes, Math.ceil(count / 7) * fileSize);

        const unlinked = job();
        await planExport(lab().server.store.db, unlinked, viewer, exportRequest('selection', { selections: [bulk], maxLinkLevel: 0 }));
        assert.deepEqual((await planSets(lab(), unlinked)).documents, documents);
      });

      it("plans the owner's work over several pages of records", async () => {
        const jobId = job();
        const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), ownerId), exportRequest('user'));
        const rows = await planRows(lab(), jobId);
        // Home, gallery, Bulk, Elsewhere; the file in its own folder.
        assert.deepEqual(plan.counts, { documents: count + 30, folders: 4, files: 1, skipped: 0 });
        assert.equal(plan.fileBytes, fileSize);
        const names = new Map((await lab().server.store.db.selectFrom('records').select(['id', 'name']).where('owner_id', '=', ownerId).execute()).map((r) => [r.id, r.name]));
        assert.equal(rows.length, names.size);
        assert.ok(rows.every((r) => r.sort_key === azSortKey(names.get(r.record_id)!)), 'each row keeps its own key, whichever page wrote it');
      });
    });

    describe('incremental (modifiedSince)', () => {
      const since = '2026-06-01T00:00:00.000Z';
      const old = '2020-01-01T00:00:00.000Z';

      before(async () => {
        const db = lab().server.store.db;
        await db.updateTable('records').set({ modified: old }).execute();
        await db.updateTable('records').set({ modified: '2026-07-01T00:00:00.000Z' }).where('id', 'in', [w.ids.day2, w.ids.notes, w.ids.insideBob]).execute();
      });

      it('keeps what changed, the files it shows, and the folders that place it', async () => {
        const jobId = job();
        const { ids } = w;
        const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.alice.id), exportRequest('user', { modifiedSince: since, maxLinkLevel: 1 }));
        assert.deepEqual(await planSets(lab(), jobId), {
          documents: sorted(ids.day2, ids.insideBob),
          // Notebook, Project and home place Day 2; the gallery places notes.txt. Inside bob's
          // parent is bob's folder: the walk up stops there. Empty places nothing.
          folders: sorted(ids.aliceHome, ids.aliceGallery, ids.project, ids.notebook),
          // notes.txt changed; gel.png did not, but Day 2 shows it.
          files: sorted(ids.gel, ids.notes),
          copies: [],
        });
        assert.deepEqual(plan.counts, { documents: 2, folders: 4, files: 2, skipped: 0 });
      });

      it('in a selection, keeps the selected folders that place a change, and counts unreadable ones all the same', async () => {
        const jobId = job();
        const { ids } = w;
        const plan = await planExport(
          lab().server.store.db,
          jobId,
          await viewerOf(lab(), w.alice.id),
          exportRequest('selection', { selections: [ids.project], modifiedSince: since, maxLinkLevel: 0 }),
        );
        assert.deepEqual(await planSets(lab(), jobId), {
          documents: sorted(ids.day2, ids.insideBob),
          folders: sorted(ids.project, ids.notebook),
          files: [],
          copies: [ids.gel],
        });
        assert.equal(plan.counts.skipped, 2);
      });

      it('plans nothing but the scope label when nothing changed', async () => {
        const jobId = job();
        const plan = await planExport(lab().server.store.db, jobId, await viewerOf(lab(), w.bob.id), exportRequest('user', { modifiedSince: since }));
        assert.deepEqual(await planRows(lab(), jobId), []);
        assert.deepEqual(plan.counts, { documents: 0, folders: 0, files: 0, skipped: 0 });
        assert.equal(plan.fileBytes, 0);
      });
    });
  });
});
