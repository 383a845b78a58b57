import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { before, describe, it } from 'node:test';
import type { BlobStore } from '../src/blobs/blobStore.js';
import { loadViewer } from '../src/content/access.js';
import { buildArchive } from '../src/export/build.js';
import { sqliteFile } from '../src/store/db.js';
import { findJob } from '../src/store/queries/exportJobs.js';
import { findUserById } from '../src/store/queries/users.js';
import { version } from '../src/version.js';
import { entries } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { forEachDatabase, useLab, type Account, type Lab } from './support/lab.js';
import { upload } from './support/labWork.js';
import { tempDir } from './support/tempDirs.js';

/**
 * A document deleted after its export was planned and before it was rendered is left out of the
 * archive; in a `.eln` archive nothing of its metadata may still name it (StoredEntities.finish).
 * Deterministic without timing: the build deletes it itself, through the API, the first time it
 * opens a blob, which is while it writes the first page of documents; the victim is in the third
 * page, which neither database's reader has loaded by then.
 */

/** Documents between the first and the victim: more than two pages of the plan (50 documents a page). */
const between = 110;

/** The lab's blob store, but its first open() waits for `first` to run. */
function runningFirst(blobs: BlobStore, first: () => Promise<void>): BlobStore {
  let ran: Promise<void> | undefined;
  return {
    put: (source) => blobs.put(source),
    putAt: (key, source) => blobs.putAt(key, source),
    delete: (key) => blobs.delete(key),
    async open(key, range) {
      await (ran ??= first());
      return blobs.open(key, range);
    },
  };
}

async function post(lab: Lab, who: Account, route: string, body: unknown): Promise<number> {
  const r = await lab.call('POST', route, { key: who.key, body });
  assert.equal(r.status, 201, r.text);
  return r.body.id as number;
}

forEachDatabase((kind) => {
  describe('a .eln export of a document deleted after it was planned', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0', ELNPORT_RATE_LIMIT: '1000000' });
    let alice: Account;
    let first: number;
    let victim: number;
    let graph: any[];
    let names: string[];
    let manifest: string;
    let file: string;

    before(async () => {
      alice = await lab().createUser('alice');
      const table = await upload(lab(), alice, 'od600.csv', 'text/csv', Buffer.from('t,od\n0,0.1\n'));
      const folder = await post(lab(), alice, '/folders', { name: 'Growth' });
      // Selected with its folder, not itself: the first document's copy of it is the build's first blob.
      first = await post(lab(), alice, '/documents', { name: 'First', parentFolderId: folder, fields: [{ content: `<p><fileId=${table}></p>` }] });
      for (let i = 0; i < between; i++) await post(lab(), alice, '/documents', { name: `Day ${i}`, parentFolderId: folder, fields: [{ content: `<p>${i}</p>` }] });
      victim = await post(lab(), alice, '/documents', { name: 'Deleted meanwhile', parentFolderId: folder, fields: [{ content: '<p>Soon gone</p>' }] });
      const linked = await lab().call('PUT', `/documents/${first}`, { key: alice.key, body: { fields: [{ content: `<p><fileId=${table}> before <docId=${victim}></p>` }] } });
      assert.equal(linked.status, 200, linked.text);

      // No worker takes the job: it is only the row the build's plan belongs to.
      await lab().server.exports.stop();
      const start = await lab().call('POST', `/export/eln/selection?selections=${folder}`, { key: alice.key });
      assert.equal(start.status, 202, start.text);
      const { db } = lab().server.store;
      const job = (await findJob(db, start.body.id))!;
      if (job.kind !== 'export') throw new Error(`job ${start.body.id} is not an export`);
      const viewer = await loadViewer(db, (await findUserById(db, job.ownerId))!);

      const { blobs, archives } = lab().server;
      const remove = async () => {
        const r = await lab().call('DELETE', `/documents/${victim}`, { key: alice.key });
        assert.equal(r.status, 204, r.text);
      };
      const ctx = { db, blobs: runningFirst(blobs, remove), archives, appVersion: version, sourceUrl: lab().url, sqliteFile: kind === 'sqlite' ? sqliteFile(lab().dataDir) : undefined };
      // Sequential: one page rendered at a time, none read ahead of the one being written.
      const built = await buildArchive(ctx, job.id, viewer, job.request, new AbortController().signal, () => undefined, { parallel: false });
      file = path.join(tempDir('elnport-deleted-'), built.name);
      await pipeline(await archives.open(built.name), fs.createWriteStream(file));
      names = entries(file);
      graph = JSON.parse(execFileSync('unzip', ['-p', file, '*/ro-crate-metadata.json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }))['@graph'];
      manifest = execFileSync('unzip', ['-p', file, '*/manifest.txt'], { encoding: 'utf8' });
    });

    it('was planned with the document and written without it', () => {
      // The manifest is written from the plan, before any document.
      assert.match(manifest, new RegExp(`^documentsExported:${between + 2}$`, 'm'));
      assert.ok(names.some((n) => n.includes(`/doc_First-${first}/`)), names.join('\n'));
      assert.deepEqual(names.filter((n) => n.includes(`-${victim}/`)), []);
    });

    it("passes the consortium's rules: no hasPart names the document", async () => {
      await assertValidEln(file);
      const victimId = `doc_Deleted-meanwhile-${victim}/`;
      assert.deepEqual(graph.filter((e) => e['@id'] === victimId || e.identifier === `SD${victim}`), []);
      assert.deepEqual(graph.filter((e) => (e.hasPart ?? []).some((p: any) => p['@id'] === victimId)).map((e) => e['@id']), []);
      const folder = graph.find((e) => e.name === 'Growth');
      assert.equal(folder.hasPart.length, between + 1);
    });

    it('leaves no mention of the document by one rendered before it was deleted', () => {
      const ids = new Set(graph.map((e) => e['@id']));
      const dataset = graph.find((e) => e.identifier === `SD${first}`);
      assert.deepEqual((dataset.mentions ?? []).map((m: any) => m['@id']).filter((id: string) => !ids.has(id)), []);
    });
  });
});
