import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { azSortKey } from '../src/domain/azOrder.js';
import type { ExportManifest } from '../src/domain/exportModel.js';
import type { IndexedItem } from '../src/export/archiveContents.js';
import { planExport } from '../src/export/plan.js';
import { PlanReader } from '../src/export/planReader.js';
import { forEachDatabase, useLab, type Lab } from './support/lab.js';
import { upload } from './support/labWork.js';
import { buildPlanLab, exportRequest, viewerOf, type PlanLab } from './support/planLab.js';

const manifest: ExportManifest = {
  exportedBy: 'Alice Tester',
  appVersion: 'test',
  sourceUrl: 'http://localhost',
  archiveId: 'test',
  exportDate: '2026-12-03',
  exportedAt: '2026-12-03T10:00:00.000Z',
  scope: 'USER',
  counts: { documents: 0, folders: 0, files: 0, skipped: 0 },
  includeRevisionHistory: false,
  maxLinkLevel: 1,
  modifiedSince: null,
};

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const idsOf = (items: { id: number }[]) => items.map((i) => i.id);

function itemLabel(item: IndexedItem): string {
  if (item.type === 'document') return `document ${item.document.name}`;
  if (item.type === 'folder') return `${item.folder.kind.toLowerCase()} ${item.folder.name}`;
  return `file ${item.file.name}`;
}

forEachDatabase((kind) => {
  describe('PlanReader: one job’s plan read back by keyset', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    let w: PlanLab;
    let nextJob = 2000;
    const plan = async (l: Lab, userId: number, request: Parameters<typeof exportRequest>) => {
      const db = l.server.store.db;
      return new PlanReader(db, await planExport(db, ++nextJob, await viewerOf(l, userId), exportRequest(...request)), manifest);
    };

    before(async () => {
      // Stopped so that its sweeper leaves these job-less plans alone.
      await lab().server.exports.stop();
      w = await buildPlanLab(lab());
    });

    describe("a user's export", () => {
      let reader: PlanReader;
      before(async () => {
        reader = await plan(lab(), w.alice.id, ['user']);
      });

      it('looks up which of some ids are in the archive', async () => {
        const { ids } = w;
        const found = await reader.lookup([ids.day1, ids.gel, ids.bobNotes, ids.project, 2_000_000_000, 3_000_000_000]);
        assert.deepEqual([...found.keys()].sort((a, b) => a - b), [ids.day1, ids.gel, ids.project].sort((a, b) => a - b));
        assert.deepEqual(found.get(ids.day1), {
          id: ids.day1,
          kind: 'DOCUMENT',
          name: 'Day 1',
          ownerId: w.alice.id,
          parentId: ids.project,
          created: found.get(ids.day1)!.created,
          modified: found.get(ids.day1)!.modified,
          ownFolder: true,
        });
        assert.equal(found.get(ids.gel)!.ownFolder, true);
        assert.equal((await reader.lookup([])).size, 0);
      });

      it('pages documents and files in id order', async () => {
        const { ids } = w;
        const pages = await all(reader.documentPages(4));
        assert.deepEqual(pages.map((p) => p.length), [4, 2]);
        assert.deepEqual(pages.flat().map((r) => r.id), [ids.day2, ids.day10, ids.apfel, ids.zeta, ids.day1, ids.insideBob].sort((a, b) => a - b));
        assert.deepEqual((await all(reader.filePages(1))).map((p) => p.map((r) => r.id)), [[ids.gel], [ids.notes]]);
      });

      it('lists every folder in id order, with its type in the tree and its parent when the archive holds it', async () => {
        const { ids } = w;
        const folders = await all(reader.folders());
        assert.deepEqual(idsOf(folders), [ids.aliceHome, ids.aliceGallery, ids.project, ids.notebook, ids.empty]);
        const byId = new Map(folders.map((f) => [f.id, f]));
        assert.deepEqual(byId.get(ids.aliceHome), {
          id: ids.aliceHome,
          name: 'alice',
          kind: 'FOLDER',
          treeType: 'FOLDER:ROOT',
          parentId: null,
          ownerUsername: 'alice',
          created: byId.get(ids.aliceHome)!.created,
          modified: byId.get(ids.aliceHome)!.modified,
          pagePath: `alice-${ids.aliceHome}.html`,
        });
        assert.equal(byId.get(ids.aliceGallery)!.treeType, 'FOLDER:SYSTEM:ROOT_MEDIA');
        assert.deepEqual([byId.get(ids.project)!.treeType, byId.get(ids.project)!.parentId], ['FOLDER', ids.aliceHome]);
        assert.deepEqual([byId.get(ids.notebook)!.kind, byId.get(ids.notebook)!.treeType, byId.get(ids.notebook)!.parentId], ['NOTEBOOK', 'NOTEBOOK', ids.project]);
        assert.deepEqual(await reader.folder(ids.notebook), byId.get(ids.notebook));
        assert.equal(await reader.folder(ids.bobFolder), undefined);
        assert.equal(await reader.folder(ids.day1), undefined);
      });

      it("reads a folder's contents, and at the top what has no parent in the archive", async () => {
        const { ids } = w;
        const contents = async (id: number | null) => {
          const c = reader.folderContents(id);
          return { folders: idsOf(await all(c.folders)), documents: idsOf(await all(c.documents)), files: idsOf(await all(c.files)) };
        };
        // Inside bob sits in bob's folder, which the archive lacks.
        assert.deepEqual(await contents(null), { folders: [ids.aliceHome, ids.aliceGallery], documents: [ids.insideBob], files: [] });
        assert.deepEqual(await contents(ids.aliceHome), { folders: [ids.project, ids.empty], documents: [ids.apfel, ids.zeta], files: [] });
        assert.deepEqual(await contents(ids.project), { folders: [ids.notebook], documents: [ids.day1], files: [] });
        assert.deepEqual(await contents(ids.notebook), { folders: [], documents: [ids.day2, ids.day10], files: [] });
        assert.deepEqual(await contents(ids.aliceGallery), { folders: [], documents: [], files: [ids.gel, ids.notes] });
        assert.deepEqual(await contents(ids.bobFolder), { folders: [], documents: [], files: [] });

        const notebook = reader.folderContents(ids.notebook);
        const listed = await all(notebook.documents);
        assert.deepEqual(listed[0], { id: ids.day2, name: 'Day 2', folder: `doc_Day-2-${ids.day2}`, modified: listed[0]!.modified });
        assert.deepEqual(idsOf(await all(notebook.documents)), [ids.day2, ids.day10], 'read again, afresh');
        const [gel] = await all(reader.folderContents(ids.aliceGallery).files);
        assert.equal(gel!.folder, `media_gelpng-${ids.gel}`);
        assert.equal(gel!.fileName, 'gel.png');
        assert.equal(gel!.size, w.sizes.gel);
        assert.equal(gel!.ownerUsername, 'alice');
        assert.equal(gel!.parentFolderId, ids.aliceGallery);
      });

      it('lists everything in A–Z order, files by their own folder', async () => {
        const items = await all(reader.byName());
        assert.deepEqual(items.map(itemLabel), [
          'folder alice',
          'document Äpfel',
          'document Day 1',
          'document Day 2',
          'document Day 10',
          'folder Empty',
          'folder Gallery',
          'file gel.png',
          'document Inside bob',
          'notebook Notebook',
          'file notes.txt',
          'folder Project',
          'document zeta',
        ]);
        assert.deepEqual((await all(reader.byName())).map(itemLabel), items.map(itemLabel), 'read again, afresh');
      });

      it('gives the users whose work it is, as users.xml shows them', () => {
        assert.deepEqual(reader.users.map((u) => [u.id, u.username, u.firstName, u.lastName, u.role]), [[w.alice.id, 'alice', 'alice', 'Tester', 'ROLE_USER']]);
        assert.equal(reader.manifest, manifest);
      });
    });

    describe('a selection', () => {
      it('leaves copied files out of file pages, folder contents and the A–Z index, and says so on lookup', async () => {
        const { ids } = w;
        const reader = await plan(lab(), w.alice.id, ['selection', { selections: [ids.notebook], maxLinkLevel: 0 }]);
        assert.equal((await reader.lookup([ids.gel])).get(ids.gel)?.ownFolder, false);
        assert.deepEqual(await all(reader.filePages(10)), []);
        assert.deepEqual(idsOf(await all(reader.folderContents(null).folders)), [ids.notebook]);
        assert.deepEqual(await all(reader.folderContents(null).files), []);
        assert.deepEqual((await all(reader.byName())).map(itemLabel), ['document Day 2', 'document Day 10', 'notebook Notebook']);
        assert.deepEqual(reader.users, []);
      });

      it('puts a selected file whose folder is not exported at the top, and linked documents too', async () => {
        const { ids } = w;
        const reader = await plan(lab(), w.alice.id, ['selection', { selections: [ids.project, ids.gel], maxLinkLevel: 1 }]);
        const top = reader.folderContents(null);
        assert.deepEqual(idsOf(await all(top.folders)), [ids.project]);
        assert.deepEqual(idsOf(await all(top.documents)), [ids.zeta, ids.insideBob].sort((a, b) => a - b));
        assert.deepEqual(idsOf(await all(top.files)), [ids.gel]);
        assert.equal((await all(top.files))[0]!.folder, `media_gelpng-${ids.gel}`);
      });
    });

    describe('more than a page', () => {
      // 12,345 documents in one folder, most of them named alike, and after them a folder, a file
      // and a document whose folder is not exported: every read crosses pages, reads of what is
      // rare cross the windows a statement reads within, and ties in the A–Z order fall across a
      // page's end.
      const count = 12_345;
      let folderId: number;
      let homeId: number;
      let late: { folder: number; file: number; document: number };
      let reader: PlanReader;
      let names: Map<number, string>;

      before(async () => {
        const l = lab();
        const db = l.server.store.db;
        const owner = await l.createUser('many');
        homeId = owner.homeFolderId;
        const post = async (path: string, body: unknown) => {
          const r = await l.call('POST', path, { key: owner.key, body });
          assert.equal(r.status, 201, r.text);
          return r.body.id as number;
        };
        folderId = await post('/folders', { name: 'Bulk', parentFolderId: homeId });
        const now = new Date().toISOString();
        const rows = Array.from({ length: count }, (_, i) => ({
          kind: 'DOCUMENT',
          name: i % 3 === 0 ? `Entry ${count - i}` : 'Same name',
          owner_id: owner.id,
          parent_id: folderId,
          created: now,
          modified: now,
        }));
        for (let i = 0; i < rows.length; i += 500) await db.insertInto('records').values(rows.slice(i, i + 500)).execute();
        const folder = await post('/folders', { name: 'Late', parentFolderId: homeId });
        const file = await upload(l, owner, 'late.txt', 'text/plain', Buffer.from('late'));
        const document = await post('/documents', { name: 'Stray', parentFolderId: homeId });
        await db.updateTable('records').set({ parent_id: w.ids.bobHome }).where('id', '=', document).execute();
        late = { folder, file, document };
        reader = await plan(l, owner.id, ['user', { maxLinkLevel: 0 }]);
        const inserted = await db.selectFrom('records').select(['id', 'name']).where('parent_id', '=', folderId).execute();
        names = new Map(inserted.map((x) => [x.id, x.name]));
        assert.equal(names.size, count);
      });

      it('reads every document once, in id order, whatever the page size', async () => {
        const expected = [...names.keys(), late.document].sort((a, b) => a - b);
        for (const size of [7, 500, 5000, 20_000]) {
          const pages = await all(reader.documentPages(size));
          assert.ok(pages.every((p) => p.length > 0 && p.length <= size));
          assert.deepEqual(pages.flat().map((d) => d.id), expected, `pages of ${size}`);
        }
        assert.deepEqual(idsOf(await all(reader.folderContents(folderId).documents)), [...names.keys()].sort((a, b) => a - b));
      });

      it('finds what is rare among them, wherever it lies', async () => {
        const gallery = (await all(reader.folders())).find((f) => f.treeType === 'FOLDER:SYSTEM:ROOT_MEDIA')!;
        assert.deepEqual(idsOf(await all(reader.folders())), [homeId, gallery.id, folderId, late.folder]);
        assert.deepEqual((await all(reader.filePages(10))).flat().map((f) => f.id), [late.file]);
        const top = reader.folderContents(null);
        assert.deepEqual(idsOf(await all(top.folders)), [homeId, gallery.id]);
        assert.deepEqual(idsOf(await all(top.documents)), [late.document]);
        const home = reader.folderContents(homeId);
        assert.deepEqual(idsOf(await all(home.folders)), [folderId, late.folder]);
        assert.deepEqual(await all(home.documents), []);
      });

      it('sorts them by A–Z key, ties by id, across pages', async () => {
        const documents = (await all(reader.byName())).flatMap((i) => (i.type === 'document' && names.has(i.document.id) ? [i.document.id] : []));
        const expected = [...names.keys()].sort((a, b) => {
          const [ka, kb] = [azSortKey(names.get(a)!), azSortKey(names.get(b)!)];
          return ka < kb ? -1 : ka > kb ? 1 : a - b;
        });
        assert.deepEqual(documents, expected);
        // "Entry 3" before "Entry 6" before "Entry 12" before "Same name".
        assert.deepEqual([0, 1, 2].map((i) => names.get(documents[i]!)), ['Entry 3', 'Entry 6', 'Entry 9']);
        assert.equal(names.get(documents[3]!), 'Entry 12');
        assert.equal(names.get(documents[documents.length - 1]!), 'Same name');
      });
    });
  });
});
