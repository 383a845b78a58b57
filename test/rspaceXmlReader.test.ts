import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isRspaceXmlArchive, readRspaceXml } from '../src/import/rspaceXml.js';
import { docMarker, fileMarker, markedKeys, type ArchiveSource, type SourceArchive, type SourceContainer, type SourceDocument, type SourceItem } from '../src/import/source.js';
import { extractedSource } from './support/extractedSource.js';

const fixture = (name: string) => `../shared/fixtures/rspace/${name}.zip`;
const read = (name: string) => readRspaceXml(extractedSource(fixture(name)));

function all(items: SourceItem[]): SourceItem[] {
  return items.flatMap((i) => (i.kind === 'DOCUMENT' ? [i] : [i, ...all(i.children)]));
}
const documents = (a: SourceArchive) => all(a.items).filter((i): i is SourceDocument => i.kind === 'DOCUMENT');
const doc = (a: SourceArchive, key: string) => documents(a).find((d) => d.key === key)!;
const container = (a: SourceArchive, key: string) => all(a.items).find((i): i is SourceContainer => i.kind !== 'DOCUMENT' && i.key === key)!;
const keys = (items: SourceItem[]) => items.map((i) => i.key);
const content = (d: SourceDocument) => d.fields.map((f) => f.content).join('\n');

/** An archive of the given entries, held in memory: for XML no real RSpace writes. */
function memorySource(files: Record<string, string>): ArchiveSource {
  return {
    top: 'hostile',
    entries: Object.entries(files).map(([path, text]) => ({ path, size: Buffer.byteLength(text) })),
    async readText(path, maxBytes) {
      const text = files[path]!;
      if (Buffer.byteLength(text) > maxBytes) throw new Error('over the cap');
      return text;
    },
    async open(path) {
      return Readable.from([Buffer.from(files[path]!)]);
    },
  };
}

describe('RSpace XML reader on the seven real archives', () => {
  it('ArchiveWithComment (2017, selection): two documents at the top, a link resolved, a comment, icons dropped', async () => {
    const a = await read('ArchiveWithComment');
    assert.equal(a.format, 'rspace-xml');
    assert.deepEqual(keys(a.items), ['SD8895', 'SD83944']);
    const untitled = doc(a, 'SD83944');
    assert.deepEqual(untitled.mentions, ['SD8895']);
    assert.deepEqual(markedKeys(content(untitled), 'doc'), ['SD8895']);
    assert.ok(!content(untitled).includes('commentIcon'), content(untitled));
    assert.deepEqual(untitled.comments, [{ text: 'c1', author: 'jdalton', created: '2017-01-30T14:38:13.000Z' }]);
    assert.equal(untitled.form?.name, 'Basic Document');
    const pcr = doc(a, 'SD8895');
    assert.equal(pcr.form?.name, 'rtPCR');
    assert.deepEqual(pcr.fields.slice(0, 2).map((f) => [f.name, f.type]), [['PCR done on', 'DATE'], ['Template', 'TEXT']]);
    assert.equal(pcr.fields[0]!.content, '2013-05-17');
    assert.equal(pcr.created, '2014-04-28T20:28:02.000Z');
    assert.equal(pcr.modified, '2014-04-28T20:28:02.914Z');
    assert.ok(a.warnings.some((w) => w.includes('SD8895') && w.includes('/image/getImage/196800-8896/')), a.warnings.join('\n'));
  });

  it('RSPAC-1917 chemtest (2019): the chemical shows as its image, with a warning', async () => {
    const a = await read('RSPAC-1917-1-61chemtest');
    const chem = doc(a, 'SD1707');
    assert.equal(documents(a).length, 1);
    assert.deepEqual(chem.files.map((f) => [f.path, f.size, f.contentType]), [['doc_docwithlargeimportedchem-1707/chemdbSuh0FG1Hf-Lvw.png', 6364, 'image/png']]);
    assert.ok(content(chem).includes(fileMarker('doc_docwithlargeimportedchem-1707/chemdbSuh0FG1Hf-Lvw.png')));
    assert.equal(chem.created, '2019-09-06T08:36:54.000Z', '+01:00 converted to UTC');
    assert.deepEqual(a.warnings, ['document "doc with large imported chem" (SD1707) has a chemical structure, imported as its image only']);
  });

  it('RSPAC-871 (2016): external attachments stay links, RSpace icons go', async () => {
    const a = await read('RSPAC-871-1-33test');
    const d = doc(a, 'SD19780');
    assert.equal(d.files[0]!.size, 5259);
    assert.ok(content(d).includes('https://docs.google.com/document/d/15rU6S8CCBz4OLB0-4tct8p011AkUr8DkcrkBEBl3kC0/preview'));
    assert.ok(!content(d).includes('resources/'), content(d));
    assert.equal(a.warnings.filter((w) => w.includes('Google Drive')).length, 3);
  });

  for (const name of ['RSPAC-890', 'RSPAC-890b']) {
    it(`${name} (2017): home folder dropped, folders, notebook order, attachments and gallery`, async () => {
      const a = await read(name);
      assert.deepEqual(keys(a.items), ['FL7333', 'FL7341', 'SD19794', 'SD25301', 'SD25307']);
      assert.deepEqual(keys(container(a, 'FL7333').children), ['NB7349', 'SD7342', 'SD7343', 'SD7346', 'SD7348']);
      assert.equal(container(a, 'NB7349').kind, 'NOTEBOOK');
      assert.deepEqual(keys(container(a, 'NB7349').children), ['SD7350', 'SD7351']);
      assert.equal(documents(a).length, 9);
      const t = doc(a, 'SD25301');
      const word = t.files.find((f) => f.path === 'media_dWVOHvCOWPexportk8Bv1WOLxsdoc-25305/dWVOHvCOWPexport_k8Bv-1WOLxs.doc')!;
      assert.deepEqual([word.name, word.size, word.contentType, word.created], ['dWVOHvCOWPexport_k8Bv-1WOLxs.doc', 36864, 'application/msword', '2017-09-21T07:59:55.000Z']);
      assert.equal(t.files.length, 8);
      // An attachment's icon link and its named link become one marker.
      assert.equal(content(t).split(fileMarker(word.key)).length - 1, 1);
      // The JPEG (25304) is the original of the annotated image the content shows: attached, not shown.
      assert.equal(markedKeys(content(t), 'file').length, 7);
      assert.ok(!markedKeys(content(t), 'file').includes('media_word6003415572982731262002jpeg-25304/word6003415572982731262.002.jpeg'));
      assert.deepEqual(doc(a, 'SD7350').authors, [{ name: 'Jane Austen', givenName: 'Jane', familyName: 'Austen', email: 'ra22597@gmail.com' }]);
      assert.deepEqual(a.galleryFiles.map((f) => [f.path, f.size]), [['media_metshandwrittenxml-25263/mets-handwritten.xml', 7522]]);
      assert.ok(a.warnings.some((w) => w.includes('SD25301') && w.includes('"3\' primer for test", which is not in the archive')));
      assert.ok(a.warnings.some((w) => w.includes('SD25301') && w.includes('equation')));
      const missing = a.warnings.some((w) => w.includes('SD19794') && w.includes('apostropheError.PNG, which is not in the archive'));
      assert.equal(missing, name === 'RSPAC-890b', 'RSPAC-890b lacks media_apostropheErrorPNG-19795');
    });
  }

  it('RSpaceArchive1478c129bc4 (2014, no top folder): old element names, a link by editor URL, dates', async () => {
    const s = extractedSource(fixture('RSpaceArchive1478c129bc4'));
    assert.equal(s.top, '');
    assert.ok(isRspaceXmlArchive(s));
    const a = await readRspaceXml(s);
    assert.deepEqual(keys(a.items), ['SD3562', 'SD3581']);
    const complete = doc(a, 'SD3581');
    assert.equal(complete.name, 'completExport');
    assert.deepEqual(complete.mentions, ['SD3562']);
    assert.ok(content(complete).includes(docMarker('SD3562')));
    assert.deepEqual(complete.comments, [{ text: 'xxx', author: 'user1a', created: '2014-07-31T00:00:00.000Z' }]);
    assert.equal(complete.created, '2014-07-31T00:00:00.000Z');
    const rtf = complete.files.find((f) => f.name === 'live training : demo sequence notes.rtf')!;
    assert.deepEqual([rtf.path, rtf.size], ['doccompletExport1478c129bde/1406804318323_live_training_:_demo_sequence_notes.rtf', 18424]);
    assert.equal(complete.files.length, 6);
  });

  it('v1-35 (2016): Templates out of the Gallery, notebook by id, missing media warned', async () => {
    const a = await read('v1-35');
    assert.deepEqual(keys(a.items), ['FL670', 'FL680', 'SD696', 'SD698', 'SD701', 'SD702']);
    assert.deepEqual(keys(container(a, 'NB688').children), ['SD689', 'SD690', 'SD705']);
    assert.deepEqual(keys(container(a, 'FL680').children), ['SD697', 'SD2165']);
    assert.equal(documents(a).length, 14);
    assert.deepEqual(documents(a).flatMap((d) => d.files), [], 'its media_ folders are empty');
    assert.ok(a.warnings.some((w) => w.includes('SD690') && w.includes('Notebook_E2_Picture1.png, which is not in the archive')));
    assert.equal(doc(a, 'SD702').form?.fields[0]?.name, 'Safety');
  });
});

describe('RSpace XML reader on hostile XML', () => {
  const documentWith = (xml: string) => memorySource({ 'doc_x-1/doc_x-1.xml': xml });
  const passwd = fs.existsSync('/etc/passwd') ? fs.readFileSync('/etc/passwd', 'utf8').split('\n')[0]!.split(':')[0]! : 'root';

  async function refusal(source: ArchiveSource): Promise<Error & { internalCode?: number }> {
    let caught: unknown;
    try {
      await readRspaceXml(source);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof Error, 'refused');
    return caught as Error & { internalCode?: number };
  }

  it('an external entity (XXE) is refused and nothing of /etc/passwd is read', async () => {
    const error = await refusal(documentWith('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><archivalDocument docId="1"><name>&x;</name></archivalDocument>'));
    assert.equal(error.internalCode, 42201);
    assert.match(error.message, /internal subset/);
    assert.ok(!JSON.stringify({ m: error.message, c: String(error.cause) }).includes(`${passwd}:`));
  });

  it('billion laughs is refused, not expanded', async () => {
    // Nine levels of nine: &e9; would be 9^9 × "lol", about 1.2 GB.
    const levels = Array.from({ length: 9 }, (_x, i) => `<!ENTITY e${i + 1} "${`&e${i};`.repeat(9)}">`);
    const lol = ['<!ENTITY e0 "lol">', ...levels];
    const error = await refusal(documentWith(`<?xml version="1.0"?><!DOCTYPE a [${lol.join('')}]><archivalDocument docId="1"><name>&e9;</name></archivalDocument>`));
    assert.equal(error.internalCode, 42201);
  });

  it('an entity never declared is an error, even behind an external DOCTYPE, which is never fetched', async () => {
    const error = await refusal(documentWith('<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><archivalDocument docId="1"><name>&x;</name></archivalDocument>'));
    assert.equal(error.internalCode, 42201);
    assert.match(error.message, /undefined entity/);
  });

  it('field HTML stays escaped text: markup in fieldData is content, not XML', async () => {
    const a = await readRspaceXml(documentWith('<archivalDocument docId="1"><name>n</name><listFields><field id="2"><fieldName>f</fieldName><fieldType>TEXT</fieldType><fieldData>&lt;p&gt;a &amp;amp; b&lt;/p&gt;</fieldData></field></listFields></archivalDocument>'));
    assert.equal(doc(a, 'SD1').fields[0]!.content, '<p>a &amp; b</p>');
  });
});
