import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { documentFolder, folderPage as folderPageName } from '../src/domain/archiveNames.js';
import type { ExportFolder } from '../src/domain/exportModel.js';
import type { ArchiveContents, ListedDocument } from '../src/export/archiveContents.js';
import { listingPieceSize, formats, type ListingEntry } from '../src/export/formats.js';
import { folderTreeSchemaXsd, linkResolverXml, usersSchemaXsd } from '../src/export/xml/index.js';
import { contentsOf, joinPieces, sampleArchive, sampleManifest, type PlacedDocument } from './support/archiveContents.js';
import { tempDir } from './support/tempDirs.js';

/** Written by the renderers of 9b8bdb5, which built each page as one string, for sampleArchive. */
const fixtures = fileURLToPath(new URL('./fixtures/listingPages/', import.meta.url));

async function written(entries: AsyncIterable<ListingEntry>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const { path, data } of entries) out.push([path, await joinPieces(data, listingPieceSize)]);
  return out;
}

const at = '2026-11-20T09:30:00.000Z';

describe('listing pages, written as the plan is read', () => {
  it('are, for HTML, byte for byte the pages built whole before, in the same order', async () => {
    const pages = await written(formats.html.listings(contentsOf(sampleArchive)));
    const folderPages = [...sampleArchive.folders].sort((a, b) => a.id - b.id).map((f) => f.pagePath);
    assert.deepEqual(pages.map(([path]) => path), [...folderPages, 'index.html', 'a-zIndex.html']);
    assert.deepEqual(readdirSync(fixtures).filter((f) => f.endsWith('.html')).sort(), pages.map(([path]) => path).sort());
    for (const [path, text] of pages) assert.equal(text, readFileSync(join(fixtures, path), 'utf8'), path);
  });

  it('are, for XML, byte for byte folderTree.xml and users.xml built whole before, with the schemas', async () => {
    const files = new Map(await written(formats.xml.listings(contentsOf(sampleArchive))));
    assert.deepEqual([...files.keys()], ['folderTree.xml', 'folderTreeSchema.xsd', 'linkResolver.xml', 'users.xml', 'usersSchema.xsd']);
    for (const name of ['folderTree.xml', 'users.xml']) assert.equal(files.get(name), readFileSync(join(fixtures, name), 'utf8'), name);
    assert.equal(files.get('folderTreeSchema.xsd'), folderTreeSchemaXsd);
    assert.equal(files.get('linkResolver.xml'), linkResolverXml());
    assert.equal(files.get('usersSchema.xsd'), usersSchemaXsd);
  });

  it('leave users.xml out of a selection', async () => {
    const files = await written(formats.xml.listings(contentsOf({ ...sampleArchive, manifest: { ...sampleManifest, scope: 'SELECTION' } })));
    assert.deepEqual(files.map(([path]) => path), ['folderTree.xml', 'folderTreeSchema.xsd', 'linkResolver.xml']);
  });

  it('write an empty archive\'s pages as before', async () => {
    const html = new Map(await written(formats.html.listings(contentsOf({ manifest: sampleManifest }))));
    assert.deepEqual([...html.keys()], ['index.html', 'a-zIndex.html']);
    assert.match(html.get('index.html')!, /<p class="subtitle">[^\n]*<\/p>\n<p class="muted">This export holds no records.<\/p>\n<p><a href="a-zIndex.html">/);
    assert.match(html.get('a-zIndex.html')!, /<p class="subtitle">0 items in this export<\/p>\n<p class="muted">This export holds no records.<\/p>\n<\/main>/);
    const xml = new Map(await written(formats.xml.listings(contentsOf({ manifest: sampleManifest }))));
    assert.match(xml.get('folderTree.xml')!, /^<\?xml version="1.0" encoding="UTF-8"\?><exportRecordList>\n {4}<listFolders\/>\n {4}<schemaVersion>1<\/schemaVersion>\n<\/exportRecordList>\n$/);
  });

  it('cut a 50,000-entry notebook into bounded pieces, never inside a character, and the page still parses', async () => {
    const notebook: ExportFolder = { id: 1, name: 'Long 🧪 book', kind: 'NOTEBOOK', treeType: 'NOTEBOOK', parentId: null, ownerUsername: 'alice', created: at, modified: at, pagePath: folderPageName('Long book', 1) };
    const documents: PlacedDocument[] = Array.from({ length: 50_000 }, (_, i) => {
      const name = `Entry ${i} 🧪${'é'.repeat(i % 7)}`;
      return { id: 10 + i, name, folder: documentFolder(name, 10 + i), modified: at, parentId: 1 };
    });
    const contents = contentsOf({ manifest: sampleManifest, folders: [notebook], documents });
    for await (const { path, data } of formats.html.listings(contents)) {
      assert.notEqual(typeof data, 'string', path);
      const pieces: string[] = [];
      for await (const piece of data) {
        assert.ok(piece.length <= listingPieceSize, `${path}: a piece of ${piece.length}`);
        assert.ok(Buffer.from(piece).toString() === piece, `${path}: a piece splits a surrogate pair`);
        pieces.push(piece);
      }
      if (path === notebook.pagePath || path === 'a-zIndex.html') assert.ok(pieces.length > 10, `${path} in ${pieces.length} pieces`);
      const page = pieces.join('');
      if (path === notebook.pagePath) assert.equal(page.match(/<li>/g)?.length, 50_000);
      if (path === 'a-zIndex.html') assert.equal(page.match(/<li>/g)?.length, 50_001);
      const file = join(tempDir('elnport-listing-'), 'page.html');
      writeFileSync(file, page);
      // Its warnings for the page's HTML5 tags pass 1 MB: cut off there, a line would end mid-message.
      const lint = spawnSync('xmllint', ['--html', '--noout', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      assert.equal(lint.error, undefined);
      assert.deepEqual(lint.stderr.split('\n').filter((l) => / error : /.test(l) && !/ error : Tag \w+ invalid$/.test(l)), [], path);
    }
  });

  it('read a folder\'s list as they write it, not whole before the first piece', async () => {
    let read = 0;
    async function* entries(): AsyncIterable<ListedDocument> {
      for (let id = 1; id <= 100_000; id++) {
        read++;
        yield { id, name: `Entry ${id}`, folder: documentFolder('Entry', id), modified: at };
      }
    }
    const notebook: ExportFolder = { id: 1, name: 'Book', kind: 'NOTEBOOK', treeType: 'NOTEBOOK', parentId: null, ownerUsername: 'alice', created: at, modified: at, pagePath: 'Book-1.html' };
    const base = contentsOf({ manifest: sampleManifest, folders: [notebook] });
    const contents: ArchiveContents = { ...base, folderContents: (id) => ({ ...base.folderContents(id), documents: entries() }) };
    for await (const { path, data } of formats.html.listings(contents)) {
      assert.equal(path, notebook.pagePath);
      assert.notEqual(typeof data, 'string');
      const first = await (data as AsyncIterable<string>)[Symbol.asyncIterator]().next();
      assert.match(first.value as string, /^<!doctype html>/);
      break;
    }
    assert.ok(read > 0 && read < 2_000, `${read} entries read for the first piece`);
  });
});
