import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedRecord } from '../src/export/archiveContents.js';
import type { MediaFile, RecordRow } from '../src/domain/model.js';
import {
  DocumentFiles,
  documentLink,
  documentParent,
  exportField,
  exportFile,
  idsInHtml,
  keptReferences,
  placeFile,
  referencedIds,
  type ArchivedFile,
} from '../src/export/load.js';

/** The pure parts the document loader is made of (issue 9), each checked on its own. */

function planned(id: number, kind: PlannedRecord['kind'], name: string, ownFolder = true): PlannedRecord {
  return { id, kind, name, ownerId: 1, parentId: null, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-02T00:00:00.000Z', ownFolder };
}

function archived(id: number, fileName: string, ownFolder: boolean): ArchivedFile {
  const record: RecordRow = {
    id,
    kind: 'MEDIA',
    name: `Gel image ${id}`,
    ownerId: 1,
    parentId: 7,
    created: '2026-01-01T00:00:00.000Z',
    modified: '2026-01-02T00:00:00.000Z',
    version: 1,
    tags: '',
    formId: null,
    deleted: false,
    provenance: null,
  };
  const blob: MediaFile = { id, fileName, caption: '', contentType: 'image/png', size: 3, sha256: 'ab', blobKey: `key-${id}` };
  return { file: exportFile(record, blob, 'alice', ownFolder), blob };
}

const field = { id: 40, name: 'Data', type: 'text', columnIndex: 0, modified: '2026-01-02T00:00:00.000Z', content: '<p>x</p>', sanitiserVersion: '1' };

describe('file placement', () => {
  it('links a file with its own folder there, each segment encoded, whatever the document folder holds', () => {
    const { file } = archived(12, 'gel #1.png', true);
    assert.equal(file.folder, 'media_Gel-image-12-12');
    assert.deepEqual(placeFile(file, 'doc_Day-1-9', new Set(['gel #1.png'])), {
      file,
      path: 'media_Gel-image-12-12/gel #1.png',
      href: '../media_Gel-image-12-12/gel%20%231.png',
    });
  });

  it('copies a file without a folder beside the document, by bare name, or as <id>-<name> when the folder has that name in any case', () => {
    const { file } = archived(12, 'Gel.PNG', false);
    assert.deepEqual(placeFile(file, 'doc_Day-1-9', new Set()), { file, path: 'doc_Day-1-9/Gel.PNG', href: 'Gel.PNG' });
    assert.deepEqual(placeFile(file, 'doc_Day-1-9', new Set(['gel.png'])), { file, path: 'doc_Day-1-9/12-Gel.PNG', href: '12-Gel.PNG' });
  });

  it('keeps the copies of one document apart from its pages and from each other on case-blind file systems', () => {
    const files = new Map([
      [1, archived(1, 'doc_Day-1-9.HTML', false)],
      [2, archived(2, 'CON', false)],
      [3, archived(3, '_con', false)],
      [4, archived(4, 'DOC_DAY-1-9_form.xml', false)],
      [5, archived(5, 'own.png', true)],
    ]);
    const folder = new DocumentFiles('doc_Day-1-9', 'html', (id) => files.get(id));
    assert.deepEqual([1, 2, 3, 4, 5].map((id) => folder.place(id)?.href), [
      '1-doc_Day-1-9.HTML',
      '_CON',
      '3-_con',
      '4-DOC_DAY-1-9_form.xml',
      '../media_Gel-image-5-5/own.png',
    ]);
    assert.deepEqual(folder.takeCopies().map((c) => [c.path, c.file.blobKey]), [
      ['doc_Day-1-9/1-doc_Day-1-9.HTML', 'key-1'],
      ['doc_Day-1-9/_CON', 'key-2'],
      ['doc_Day-1-9/3-_con', 'key-3'],
      ['doc_Day-1-9/4-DOC_DAY-1-9_form.xml', 'key-4'],
    ]);
  });

  it('copies a file once however often the document and its versions show it, and hands each copy out once', () => {
    const files = new Map([[2, archived(2, 'a.txt', false)]]);
    const folder = new DocumentFiles('doc_Day-1-9', 'xml', (id) => files.get(id));
    assert.equal(folder.place(2)?.path, 'doc_Day-1-9/a.txt');
    assert.equal(folder.place(2)?.path, 'doc_Day-1-9/a.txt');
    assert.equal(folder.takeCopies().length, 1);
    assert.equal(folder.place(2)?.path, 'doc_Day-1-9/a.txt');
    assert.deepEqual(folder.takeCopies(), []);
    assert.equal(folder.place(99), undefined, 'a file the archive does not hold');
  });
});

describe('link hrefs', () => {
  const sourceUrl = 'https://eln.example';

  it('links a live document of the archive to its page, in the folder the plan names', () => {
    const target = planned(3, 'DOCUMENT', 'Day 2: results');
    assert.deepEqual(documentLink({ targetId: 3, name: 'Day 2', live: true }, target, 'html', sourceUrl), {
      id: 3,
      name: 'Day 2',
      href: '../doc_Day-2-results-3/doc_Day-2-results-3.html',
      inArchive: true,
    });
    assert.equal(documentLink({ targetId: 3, name: 'Day 2', live: true }, target, 'xml', sourceUrl).href, '../doc_Day-2-results-3/doc_Day-2-results-3.xml');
  });

  it('links to the source server a record outside the archive, deleted, or not a document', () => {
    const expected = { id: 3, name: 'X', href: 'https://eln.example/globalId/SD3', inArchive: false };
    assert.deepEqual(documentLink({ targetId: 3, name: 'X', live: true }, undefined, 'html', sourceUrl), expected);
    assert.deepEqual(documentLink({ targetId: 3, name: 'X', live: false }, planned(3, 'DOCUMENT', 'X'), 'html', sourceUrl), expected);
    assert.deepEqual(documentLink({ targetId: 3, name: 'X', live: true }, planned(3, 'FOLDER', 'X'), 'html', sourceUrl), expected);
  });
});

describe('field export', () => {
  it('reads a kept version\'s references from its HTML, once each, named as the plan names them', () => {
    const html = '<img data-file-id="5"><a data-doc-id="8">a</a><img data-file-id="5"><a data-doc-id="9">b</a><a data-doc-id="8">c</a>';
    const ids = idsInHtml(html);
    assert.deepEqual(ids, { fileIds: [5], documentIds: [8, 9] });
    assert.deepEqual(keptReferences(ids, new Map([[8, planned(8, 'DOCUMENT', 'Protocol')]])), {
      fileIds: [5],
      links: [
        { targetId: 8, name: 'Protocol', live: true },
        { targetId: 9, name: 'SD9', live: true },
      ],
    });
    assert.deepEqual(referencedIds([keptReferences(ids, new Map()), { fileIds: [9, 1], links: [] }]), [5, 8, 9, 1]);
  });

  it('leaves out files the archive does not hold, and links a kept version\'s copies one folder up', () => {
    const files = new Map([
      [1, archived(1, 'copy.txt', false)],
      [2, archived(2, 'own.png', true)],
    ]);
    const folder = new DocumentFiles('doc_Day-1-9', 'html', (id) => files.get(id));
    const references = { fileIds: [1, 3, 2], links: [{ targetId: 8, name: 'P', live: true }] };
    const link = (l: { targetId: number; name: string; live: boolean }) => documentLink(l, planned(8, 'DOCUMENT', 'P'), 'html', 'https://eln.example');
    const current = exportField(field, references, (id) => folder.place(id), link, null, []);
    const kept = exportField(field, references, (id) => folder.place(id), link, 'doc_Day-1-9', []);
    assert.deepEqual(current.files.map((f) => f.href), ['copy.txt', '../media_Gel-image-2-2/own.png']);
    assert.deepEqual(kept.files.map((f) => [f.path, f.href]), [
      ['doc_Day-1-9/copy.txt', '../doc_Day-1-9/copy.txt'],
      ['media_Gel-image-2-2/own.png', '../media_Gel-image-2-2/own.png'],
    ]);
    assert.deepEqual(current.links, [{ id: 8, name: 'P', href: '../doc_P-8/doc_P-8.html', inArchive: true }]);
    assert.deepEqual({ ...current, files: [], links: [], comments: [] }, { ...field, files: [], links: [], comments: [] });
  });
});

describe('a document\'s parent', () => {
  it('names the folder or notebook holding it, in the archive or not', () => {
    assert.equal(documentParent(null, undefined), null);
    assert.deepEqual(documentParent(7, planned(7, 'NOTEBOOK', 'Lab book')), { id: 7, name: 'Lab book', treeType: 'NOTEBOOK', inArchive: true });
    assert.deepEqual(documentParent(7, planned(7, 'FOLDER', 'Project')), { id: 7, name: 'Project', treeType: 'FOLDER', inArchive: true });
    assert.deepEqual(documentParent(7, undefined), { id: 7, name: '', treeType: 'FOLDER', inArchive: false });
  });
});
