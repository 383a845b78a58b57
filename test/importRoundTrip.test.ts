import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { plainText } from '../src/domain/fieldContent.js';
import { readRspaceXml } from '../src/import/rspaceXml.js';
import { replaceMarkers, type ArchiveSource, type SourceArchive, type SourceItem } from '../src/import/source.js';
import { crateGraph, downloadArchive, exportAndWait, extract, importAndWait, startImport } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { extractedSource } from './support/extractedSource.js';
import { expectError, forEachDatabase, useLab, type Account, type Lab } from './support/lab.js';
import { upload, tinyPng as png } from './support/labWork.js';

/** A folder with a notebook of three entries (the third links the first, and was edited), an image, a CSV and a loose note. */
async function work(lab: Lab, alice: Account) {
  const image = await upload(lab, alice, 'gel #1.png', 'image/png', png, 'Gel after 2 h');
  const csv = await upload(lab, alice, 'od600.csv', 'text/csv', Buffer.from('t,od\n0,0.1\n1,0.4\n'));
  const folder = await lab.call('POST', '/folders', { key: alice.key, body: { name: 'Project Aspirin' } });
  const notebook = await lab.call('POST', '/folders', { key: alice.key, body: { name: 'Lab book', notebook: true, parentFolderId: folder.body.id } });
  const entry = async (name: string, content: string, tags = '') =>
    (await lab.call('POST', '/documents', { key: alice.key, body: { name, tags, parentFolderId: notebook.body.id, fields: [{ content }] } })).body.id as number;
  const first = await entry('Zeta: day 1', `<p>Grew <b>E. coli</b>, data <fileId=${csv}> and gel <fileId=${image}></p>`, 'ecoli,od600');
  await entry('Alpha: day 2', '<table><tr><td>OD</td><td>0.4</td></tr></table>');
  const third = await entry('Mid: day 3', `<p>As on <docId=${first}></p>`, 'summary');
  await lab.call('PUT', `/documents/${third}`, { key: alice.key, body: { fields: [{ content: `<p>Revised: as on <docId=${first}></p>` }] } });
  await lab.call('POST', '/documents', { key: alice.key, body: { name: 'Loose note', fields: [{ content: '<p>No folder</p>' }] } });
}

/** What a round trip must keep, read from an archive's XML: every document by its place, with its fields, tags, files' bytes and links by name. */
function essentials(archive: SourceArchive, source: ArchiveSource, root: string): unknown {
  const names = new Map<string, string>();
  const walk = (items: SourceItem[], at: string[]): void => {
    for (const item of items) {
      names.set(item.key, [...at, item.name].join(' / '));
      if (item.kind !== 'DOCUMENT') walk(item.children, [...at, item.name]);
    }
  };
  walk(archive.items, []);
  const sha = (p: string) => createHash('sha256').update(fs.readFileSync(path.join(root, source.top, p))).digest('hex');
  const tree = (items: SourceItem[]): unknown[] =>
    items.map((item) => {
      if (item.kind !== 'DOCUMENT') return { [item.kind]: item.name, children: tree(item.children) };
      return {
        document: item.name,
        tags: [...item.tags].sort(),
        fields: item.fields.map((f) => ({
          name: f.name,
          text: plainText(replaceMarkers(f.content, (kind, key) => (kind === 'doc' ? `[link to ${names.get(key)}]` : `[file ${sha(item.files.find((x) => x.key === key)!.path)}]`))),
        })),
        files: item.files.map((f) => sha(f.path)).sort(),
        mentions: item.mentions.map((key) => names.get(key)).sort(),
        versions: item.revisions.length,
      };
    });
  return tree(archive.items);
}

/** An archive read by our RSpace XML reader, unpacked by unzip; `part` picks the items to compare. */
async function essentialsOf(file: string, part: (archive: SourceArchive) => SourceArchive = (a) => a): Promise<unknown> {
  const source = extractedSource(file);
  return essentials(part(await readRspaceXml(source)), source, extract(file));
}

/** The import's folder, found in the re-export by its name, and what it holds. */
function importedPart(archive: SourceArchive, name: string): SourceArchive {
  const folder = archive.items.find((i) => i.kind === 'FOLDER' && i.name === name);
  assert.ok(folder && folder.kind === 'FOLDER', `no folder "${name}" at the top of the re-export: ${archive.items.map((i) => i.name).join(', ')}`);
  return { ...archive, items: folder.children };
}

forEachDatabase((kind) => {
  describe('import round trips', () => {
    const lab = useLab(kind);
    let alice: Account;
    let bob: Account;

    before(async () => {
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
      await work(lab(), alice);
    });

    for (const format of ['xml', 'eln'] as const) {
      it(`${format}: export, import, export again keeps documents, fields, tags, folder tree, notebook order, file bytes and links`, async () => {
        const original = await downloadArchive(lab(), alice.key, await exportAndWait(lab(), alice.key, `${format}/user?includeRevisionHistory=true`));
        const imported = await importAndWait(lab(), bob.key, original);
        assert.equal(imported.status, 'COMPLETED', JSON.stringify(imported.result));
        const { files, filesReused, ...records } = imported.result.counts;
        assert.deepEqual(records, { folders: 1, notebooks: 1, documents: 4, revisions: 1, comments: 0 });
        // The second format's import finds the first one's files: the same bytes are not stored twice.
        assert.deepEqual({ files, filesReused }, format === 'xml' ? { files: 2, filesReused: 0 } : { files: 0, filesReused: 2 });
        const again = await downloadArchive(lab(), bob.key, await exportAndWait(lab(), bob.key, `${format}/user?includeRevisionHistory=true`));
        if (format === 'eln') await assertValidEln(again);
        const name = path.basename(original).replace(/\.(zip|eln)$/, '');
        const expected = await essentialsOf(original);
        assert.deepEqual(await essentialsOf(again, (a) => importedPart(a, name)), expected);
        // The notebook's entries in their order, which is not their names' order.
        const notebook = JSON.stringify(expected).match(/"NOTEBOOK":"Lab book","children":\[(.*?)\]\}/)![1]!;
        assert.ok(notebook.indexOf('Zeta: day 1') < notebook.indexOf('Alpha: day 2') && notebook.indexOf('Alpha: day 2') < notebook.indexOf('Mid: day 3'));
      });
    }

    it("keeps alice as the author of what bob imported, in the API and in bob's HTML export", async () => {
      const original = await downloadArchive(lab(), alice.key, await exportAndWait(lab(), alice.key, 'xml/user'));
      const imported = await importAndWait(lab(), bob.key, original);
      const id = Object.entries(imported.result.ids as Record<string, number>).find(([key]) => key.startsWith('SD'))![1];
      const doc = await lab().call('GET', `/documents/${id}`, { key: bob.key });
      assert.equal(doc.body.owner.username, 'bob');
      assert.equal(doc.body.provenance.format, 'rspace-xml');
      assert.equal(doc.body.provenance.archive, path.basename(original).replace(/\.zip$/, ''));
      assert.match(doc.body.provenance.sourceId, /^SD\d+$/);
      assert.ok(doc.body.provenance.authors.some((a: any) => /alice/i.test(`${a.name} ${a.email ?? ''}`)), JSON.stringify(doc.body.provenance));
      const html = await downloadArchive(lab(), bob.key, await exportAndWait(lab(), bob.key, `html/selection?selections=${id}`));
      const root = extract(html);
      const page = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).find((p) => /doc_[^/]+\/doc_[^/]+\.html$/.test(p))!;
      assert.match(fs.readFileSync(path.join(root, page), 'utf8'), /Imported from<\/th>\s*<td>[^<]*\(SD\d+\), written by/);
    });

    it('imports into a folder of its own when asked, and refuses a folder that is not the importer\'s', async () => {
      const target = await lab().call('POST', '/folders', { key: bob.key, body: { name: 'Inbox' } });
      const file = path.resolve('../shared/fixtures/eln/elabftw__export.eln');
      const job = await importAndWait(lab(), bob.key, file, target.body.id);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
      assert.equal(job.result.folderId, target.body.id);
      const inbox = await lab().call('GET', `/folders/tree/${target.body.id}?pageSize=100`, { key: bob.key });
      assert.equal(inbox.body.records.filter((r: any) => r.type === 'NORMAL' || r.type === 'DOCUMENT').length, 12, inbox.text);
      expectError(await startImport(lab(), alice.key, file, target.body.id), 404, 40402);
    });

    it('imports an eLabFTW .eln and exports it again as .eln with every name, text, tag, file and date', async () => {
      const file = path.resolve('../shared/fixtures/eln/elabftw__export.eln');
      const carol = await lab().createUser('carol');
      const job = await importAndWait(lab(), carol.key, file);
      assert.equal(job.status, 'COMPLETED');
      const again = await downloadArchive(lab(), carol.key, await exportAndWait(lab(), carol.key, 'eln/user'));
      await assertValidEln(again);
      const source = crateGraph(file);
      const exported = crateGraph(again);
      const byId = new Map(source.map((e) => [e['@id'], e]));
      const experiments = source.filter((e) => e['@type'] === 'Dataset' && e['@id'] !== './');
      assert.ok(experiments.length >= 10);
      const exportedDocs = exported.filter((e) => e['@type'] === 'Dataset' && typeof e.identifier === 'string' && /^SD\d+$/.test(e.identifier));
      const exportedFiles = new Map(exported.filter((e) => e['@type'] === 'File').map((e) => [e['@id'], e]));
      for (const experiment of experiments) {
        const match = exportedDocs.filter((d) => d.name === experiment.name);
        assert.equal(match.length, 1, `"${experiment.name}" exported ${match.length} times`);
        const doc = match[0]!;
        const tags = (k: unknown) => (Array.isArray(k) ? k : String(k ?? '').split(',')).map((t: string) => t.trim()).filter(Boolean).sort();
        assert.deepEqual(tags(doc.keywords), tags(experiment.keywords), experiment.name);
        assert.equal(Date.parse(doc.dateCreated), Date.parse(experiment.dateCreated), experiment.name);
        assert.equal(Date.parse(doc.dateModified), Date.parse(experiment.dateModified), experiment.name);
        if (experiment.text) {
          const words = plainText(experiment.text).split(' ').filter((w) => w.length > 3).slice(0, 12);
          const ours = plainText(doc.text);
          for (const word of words) assert.ok(ours.includes(word), `"${experiment.name}": "${word}" is not in the exported text`);
        }
        const sourceFiles = (experiment.hasPart ?? []).map((p: any) => byId.get(p['@id'])).filter((e: any) => e?.['@type'] === 'File' && e.sha256);
        const ourFiles = (doc.hasPart ?? []).map((p: any) => exportedFiles.get(p['@id'])).filter((e: any) => e && e.encodingFormat !== 'text/html' && e.encodingFormat !== 'application/xml');
        assert.deepEqual(ourFiles.map((f: any) => f.sha256).sort(), sourceFiles.map((f: any) => f.sha256).sort(), experiment.name);
      }
    });
  });
});

forEachDatabase((kind) => {
  describe('comments through import and export', () => {
    const lab = useLab(kind);

    it("keeps an RSpace archive's comment on the page, in the XML and in the .eln, and through a second import", async () => {
      const dana = await lab().createUser('dana');
      const first = await importAndWait(lab(), dana.key, path.resolve('../shared/fixtures/rspace/ArchiveWithComment.zip'));
      assert.equal(first.result.counts.comments, 1);
      const html = extract(await downloadArchive(lab(), dana.key, await exportAndWait(lab(), dana.key, 'html/user')));
      const pages = fs.readdirSync(html, { recursive: true, encoding: 'utf8' }).filter((p) => /doc_[^/]+\/doc_[^/]+\.html$/.test(p));
      const commented = pages.map((p) => fs.readFileSync(path.join(html, p), 'utf8')).filter((page) => /<ul class="comments">/.test(page));
      assert.equal(commented.length, 1);
      const xml = await downloadArchive(lab(), dana.key, await exportAndWait(lab(), dana.key, 'xml/user'));
      const eln = await downloadArchive(lab(), dana.key, await exportAndWait(lab(), dana.key, 'eln/user'));
      await assertValidEln(eln);
      const crate = crateGraph(eln);
      const comment = crate.find((e) => e['@type'] === 'Comment');
      assert.ok(comment && crate.some((e) => e.comment?.some((c: any) => c['@id'] === comment['@id'])), 'a Comment entity that a document names');
      for (const archive of [xml, eln]) {
        const erin = await lab().createUser(`erin${path.extname(archive).slice(1)}`);
        const again = await importAndWait(lab(), erin.key, archive);
        assert.equal(again.result.counts.comments, 1, path.basename(archive));
      }
    });
  });
});
