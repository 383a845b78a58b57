import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadViewer } from '../src/content/access.js';
import type { ExportRequest } from '../src/domain/exportJob.js';
import type { ExportManifest } from '../src/domain/exportModel.js';
import type { Viewer } from '../src/domain/permissions.js';
import type { PlanLookup } from '../src/export/archiveContents.js';
import { bySize, DocumentLoader, type LoadedDocument } from '../src/export/load.js';
import { discardPlan, planExport } from '../src/export/plan.js';
import { PlanReader } from '../src/export/planReader.js';
import { findUserById } from '../src/store/queries/users.js';
import { forEachDatabase, useLab, type Account } from './support/lab.js';
import { upload } from './support/labWork.js';

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

const sourceUrl = 'https://eln.example';

function request(asked: Partial<ExportRequest>): ExportRequest {
  return { format: 'html', scope: 'user', targetId: null, selections: [], includeRevisionHistory: true, maxLinkLevel: 1, modifiedSince: null, sourceUrl, ...asked };
}

/**
 * Issue 9: the plan lives in the database, and the loader asks it about a batch's references at
 * once (PlanLookup), not about each as it meets it.
 */
forEachDatabase((kind) => {
  describe('loading documents against the plan in the database', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    let alice: Account;
    let viewer: Viewer;
    let folder: number;
    let earlier: number;
    let later: number;
    let showsEarlier: number;
    let nextJob = 5000;

    before(async () => {
      // Its sweeper would take these plans, of jobs no worker runs, for orphans'.
      await lab().server.exports.stop();
      alice = await lab().createUser('alice');
      viewer = await loadViewer(lab().server.store.db, (await findUserById(lab().server.store.db, alice.id))!);
      const post = async (route: string, body: unknown) => {
        const r = await lab().call('POST', route, { key: alice.key, body });
        assert.equal(r.status, 201, r.text);
        return r.body.id as number;
      };
      const a = await upload(lab(), alice, 'a.txt', 'text/plain', Buffer.from('first'));
      const b = await upload(lab(), alice, 'b.txt', 'text/plain', Buffer.from('second'));
      folder = await post('/folders', { name: 'Runs' });
      showsEarlier = await post('/documents', { name: 'Shows a', parentFolderId: folder, fields: [{ content: `<p><fileId=${a}></p>` }] });
      // Its kept version shows a.txt, and links the document above; its current version shows b.txt only.
      const edited = await post('/documents', { name: 'Edited', parentFolderId: folder, fields: [{ content: `<p><fileId=${a}> <docId=${showsEarlier}></p>` }] });
      const put = await lab().call('PUT', `/documents/${edited}`, { key: alice.key, body: { fields: [{ content: `<p><fileId=${b}></p>` }] } });
      assert.equal(put.status, 200, put.text);
      for (let i = 0; i < 3; i++) await post('/documents', { name: `Plain ${i}`, parentFolderId: folder, fields: [{ content: `<p><docId=${edited}></p>` }] });
      earlier = a;
      later = b;
    });

    /** Loads every planned document, counting the plan's lookups: a wrapper around the real reader, nothing stood in for. */
    async function loadAll(asked: Partial<ExportRequest>): Promise<{ loaded: LoadedDocument[]; lookups: number[][] }> {
      const db = lab().server.store.db;
      const jobId = ++nextJob;
      const full = request(asked);
      const plan = await planExport(db, jobId, viewer, full);
      try {
        const reader = new PlanReader(db, plan, {} as ExportManifest);
        const lookups: number[][] = [];
        const counting: PlanLookup = { lookup: (ids) => (lookups.push([...ids]), reader.lookup(ids)) };
        const loader = new DocumentLoader(db, counting, full.format, sourceUrl, full.includeRevisionHistory);
        const loaded: LoadedDocument[] = [];
        for await (const page of reader.documentPages(50)) for await (const d of loader.load(page.map((r) => r.id))) loaded.push(d);
        return { loaded, lookups };
      } finally {
        await discardPlan(db, jobId);
      }
    }

    const named = (loaded: LoadedDocument[], name: string, kept = false) => loaded.find((d) => d.document.name === name && (d.document.revisionOf !== null) === kept)!;

    it('asks the plan once for a batch of current versions: parents, links and files together', async () => {
      const { loaded, lookups } = await loadAll({ includeRevisionHistory: false });
      assert.equal(loaded.length, 5);
      assert.equal(lookups.length, 1, JSON.stringify(lookups));
      assert.ok(lookups[0]!.includes(folder) && lookups[0]!.includes(earlier) && lookups[0]!.includes(later));
      const plain = named(loaded, 'Plain 0').document;
      assert.deepEqual(plain.parent, { id: folder, name: 'Runs', treeType: 'FOLDER', inArchive: true });
      assert.equal(plain.fields[0]!.links[0]!.inArchive, true);
    });

    it("links a kept version's files in their own folders, though its current version shows other files", async () => {
      const { loaded, lookups } = await loadAll({});
      const current = named(loaded, 'Edited').document;
      const kept = named(loaded, 'Edited', true).document;
      assert.deepEqual(current.fields[0]!.files.map((f) => f.file.id), [later]);
      assert.deepEqual(kept.fields[0]!.files.map((f) => [f.file.id, f.href]), [[earlier, `../media_atxt-${earlier}/a.txt`]]);
      assert.deepEqual(kept.fields[0]!.links.map((l) => [l.id, l.name, l.inArchive]), [[showsEarlier, 'Shows a', true]]);
      assert.equal(lookups.length, 2, 'once for the batch, once for the kept version');
    });

    it("copies a file only a kept version shows into the current version's folder in a selection", async () => {
      const { loaded } = await loadAll({ scope: 'selection', selections: [folder] });
      const edited = named(loaded, 'Edited');
      const kept = named(loaded, 'Edited', true);
      const folderName = edited.document.folder;
      assert.deepEqual(edited.copies.map((c) => c.path), [`${folderName}/b.txt`]);
      assert.deepEqual(kept.copies.map((c) => c.path), [`${folderName}/a.txt`]);
      assert.deepEqual(kept.document.fields[0]!.files.map((f) => f.href), [`../${folderName}/a.txt`]);
      assert.deepEqual(named(loaded, 'Shows a').copies.map((c) => c.path), [`${named(loaded, 'Shows a').document.folder}/a.txt`]);
    });
  });
});
