import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ElnportError } from '../src/domain/errors.js';
import { isElnArchive, readCrate } from '../src/import/crateReader.js';
import { docMarker, fileMarker, type SourceArchive, type SourceContainer, type SourceDocument, type SourceItem } from '../src/import/source.js';
import { extractedSource } from './support/extractedSource.js';
import { tempDir } from './support/tempDirs.js';

const fixtures = fileURLToPath(new URL('../../shared/fixtures/', import.meta.url));
const eln = (name: string) => path.join(fixtures, 'eln', name);

async function read(name: string): Promise<SourceArchive> {
  return readCrate(extractedSource(eln(name)));
}

function all(items: SourceItem[]): SourceItem[] {
  return items.flatMap((i) => (i.kind === 'DOCUMENT' ? [i] : [i, ...all(i.children)]));
}

function counts(archive: SourceArchive) {
  const items = all(archive.items);
  const docs = items.filter((i): i is SourceDocument => i.kind === 'DOCUMENT');
  return {
    documents: docs.length,
    folders: items.length - docs.length,
    files: docs.reduce((n, d) => n + d.files.length, 0),
    gallery: archive.galleryFiles.length,
    comments: docs.reduce((n, d) => n + d.comments.length, 0),
    warnings: archive.warnings.length,
  };
}

function doc(archive: SourceArchive, key: string): SourceDocument {
  const found = all(archive.items).find((i) => i.key === key);
  assert.ok(found && found.kind === 'DOCUMENT', `no document ${key}`);
  return found;
}

function field(d: SourceDocument, name: string): string {
  const f = d.fields.find((x) => x.name === name);
  assert.ok(f, `${d.name} has no field ${name}: ${d.fields.map((x) => x.name)}`);
  return f.content;
}

/** A zip of the given entries, built by Python's zipfile (not by us), unpacked by unzip. */
function zipOf(entries: Record<string, string>) {
  const dir = tempDir('elnport-crate-');
  const file = path.join(dir, 'built.eln');
  const script = 'import sys, json, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\nfor k, v in json.load(sys.stdin).items(): z.writestr(k, v)\nz.close()';
  execFileSync('python3', ['-c', script, file], { input: JSON.stringify(entries) });
  return extractedSource(file);
}

const descriptor = { '@id': 'ro-crate-metadata.json', '@type': 'CreativeWork', about: { '@id': './' } };

describe('the .eln fixtures', () => {
  it('eLabFTW: twelve experiments and resources, with tags, dates, people, comments, mentions and an inline image', async () => {
    const a = await read('elabftw__export.eln');
    assert.deepEqual(counts(a), { documents: 12, folders: 0, files: 2, gallery: 0, comments: 4, warnings: 0 });
    const gold = doc(a, './Demo - Gold-master-experiment - 4af4da4e/');
    assert.equal(gold.name, 'Gold master experiment');
    assert.ok(gold.tags.includes('tag with space') && gold.tags.includes('special chars {[éèÀ®]}:*<>×÷±'), String(gold.tags));
    assert.equal(gold.created, '2025-09-16T08:32:54.000Z');
    assert.equal(gold.modified, '2025-09-16T08:37:05.000Z');
    assert.deepEqual(gold.authors, [{ name: 'Nicola Mohr', givenName: 'Nicola', familyName: 'Mohr', email: 'somesamluser@example.com', identifier: undefined }]);
    assert.deepEqual(gold.mentions, [
      './Molecular-biology - Facilis-illum-sed-reprehenderit - a7658b02/',
      './Synthesis - Synthesis-of-Aspirin - 076f68c6/',
      './Microscope - Video-microscope-Bravo - 6bf0e813/',
    ]);
    // The zip's entry is `…4af4da4e//example.jpg`; the @id has one slash.
    const [jpg] = gold.files;
    assert.equal(jpg!.path, 'Demo - Gold-master-experiment - 4af4da4e/example.jpg');
    assert.equal(jpg!.size, 85530);
    assert.equal(jpg!.sha256, 'b73626c9a9ed8561ed6126df2493bc0d84fb8feedc9fe34aed94f7d2d5f4f60f');
    assert.equal(jpg!.contentType, 'image/jpeg', 'eLabFTW declares application/octet-stream; the extension says more');
    // The whole <img> becomes the marker: inside its src the marker would be no reference.
    assert.ok(field(gold, 'Text').includes(fileMarker(jpg!.key)) && !field(gold, 'Text').includes('download.php'), 'the download.php link names the file by its alternateName');
    assert.match(gold.comments[0]!.text, /^Great results on the DNA extraction/);
    assert.equal(gold.comments[0]!.author, 'Nicola Mohr');
    assert.equal(gold.comments[0]!.created, '2025-09-16T08:32:54.000Z');
    assert.match(field(gold, 'Metadata'), /<th>Radio buttons<\/th><td>Oui<\/td>/);
    // Plain text is escaped into a paragraph.
    assert.equal(field(doc(a, './Demo - An-example-experiment - bf9a1a34/'), 'Text'), '<p>This is the content of the experiment</p>');
  });

  it('PASTA: nodes listed under several parents are read once, where the walk meets them first', async () => {
    const a = await read('PASTA__PASTA.eln');
    assert.deepEqual(counts(a), { documents: 9, folders: 2, files: 8, gallery: 0, comments: 0, warnings: 44 });
    assert.equal(a.items.length, 1);
    const project = a.items[0] as SourceContainer;
    assert.equal(project.kind, 'FOLDER');
    assert.equal(project.name, 'PASTAs Example Project');
    const content = project.children[0] as SourceDocument;
    assert.equal(content.key, './PastasExampleProject/#content');
    assert.deepEqual(content.tags, ['Important']);
    assert.equal(field(content, 'Description'), '<p>Can be used as reference or deleted</p>');
    assert.deepEqual(content.files.map((f) => f.path), ['PastasExampleProject/workplan.py', 'CommonFiles/Example_SOP.md', 'PastasExampleProject/procedure.md', 'PastasExampleProject/worklog.log']);
    const task = project.children.find((c) => c.key === './PastasExampleProject/001_ThisIsAnotherExampleTask/') as SourceContainer;
    assert.deepEqual(task.children.map((c) => c.name), ['This is another example task', 'This is an example subtask', 'This is another example subtask']);
    const data = doc(a, './PastasExampleProject/002_DataFiles/');
    const png = data.files.find((f) => f.name === 'simple.png')!;
    assert.deepEqual([png.path, png.size, png.contentType], ['PastasExampleProject/002_DataFiles/simple.png', 9450, 'image/png']);
    assert.ok(a.warnings.some((w) => w.startsWith('File https://upload.wikimedia.org/') && w.includes('its @id is a URL')));
    assert.ok(a.warnings.includes('"Data files" (./PastasExampleProject/002_DataFiles/) is also listed under "Exported from PASTA ELN" (./); read once, under "PASTAs Example Project" (./PastasExampleProject/)'));
    assert.ok(a.warnings.includes('"PASTAs Example Project" (./PastasExampleProject/): dateCreated "2025-09-30T13:59:35.471250" is not an RFC 3339 date-time; left out'));
    assert.equal(content.created, undefined);
  });

  it('PASTA goldStandard: ids without ./, MD5-length sha256 values passed on with a warning each', async () => {
    const a = await read('PASTA__goldStandard.eln');
    assert.deepEqual(counts(a), { documents: 4, folders: 0, files: 15, gallery: 0, comments: 0, warnings: 30 });
    const ir = doc(a, 'IR-RQQIV-V/');
    const dx = ir.files.find((f) => f.name === 'IR RAJ15.dx')!;
    assert.deepEqual([dx.path, dx.size], ['IR-RQQIV-V/IR RAJ15.dx', 43237]);
    assert.equal(ir.files.find((f) => f.name === 'IRRQQIV-V.png')!.sha256, 'dadfa0ae152d4b4f24e52a93edd898b8');
    assert.ok(a.warnings.includes('File "IRRQQIV-V.png" (IR-RQQIV-V/IRRQQIV-V.png): sha256 "dadfa0ae152d4b4f24e52a93edd898b8" is not 64 hex digits'));
    assert.equal(a.warnings.filter((w) => w.includes('is not 64 hex digits')).length, 15);
    assert.equal(ir.authors.length, 5);
    assert.ok(ir.authors.some((p) => p.name === 'Lena J. Daumann'));
  });

  it('RSpace: unnamed Datasets, keyword arrays, a linked document as a mention, schemas as gallery files', async () => {
    const a = await read('RSpace__RSpace-2023-12-08-14-44-xml-SELECTION-c0bEtpHcnNe-HA.eln');
    assert.deepEqual(counts(a), { documents: 3, folders: 0, files: 6, gallery: 2, comments: 0, warnings: 9 });
    const editable = doc(a, './doc_Editable2-32');
    assert.equal(editable.name, 'doc_Editable2-32');
    assert.deepEqual(editable.tags, ['red', 'mydocument', 'category1']);
    assert.deepEqual(editable.mentions, ['./doc_Experiment-1-25']);
    assert.deepEqual(editable.files.map((f) => f.path), ['doc_Editable2-32/doc_Editable2-32_form.xml', 'doc_Editable2-32/lemmings_1701965473304.gif', 'doc_Editable2-32/doc_Editable2-32.xml']);
    assert.deepEqual(a.galleryFiles.map((f) => f.path), ['schemas/formSchema.xsd', 'schemas/documentSchema.xsd']);
    assert.ok(a.warnings.includes('./doc_Editable2-32 has no name; named "doc_Editable2-32"'));
    assert.ok(a.warnings.includes('./doc_Editable2-32/lemmings_1701965473304.gif: dateCreated "07:12:23:16:11:13" is not an RFC 3339 date-time; left out'));
  });

  it('SampleDB: an object with versions is a folder led by its own document; comments found by parentItem', async () => {
    const a = await read('SampleDB__sampledb_export.eln');
    assert.deepEqual(counts(a), { documents: 4, folders: 2, files: 8, gallery: 0, comments: 2, warnings: 10 });
    const measurement = doc(a, './objects/7/#content');
    assert.equal(measurement.sourceId, './objects/7/');
    assert.deepEqual(measurement.tags, ['example_tag', 'other_tag', 'tag3']);
    assert.deepEqual(measurement.mentions, ['./objects/1/#content']);
    assert.deepEqual(measurement.authors.map((p) => p.name), ['Basic User']);
    const sample = doc(a, './objects/1/#content');
    assert.match(field(sample, 'Metadata'), /<th>Substrate<\/th><td>GaAs<\/td>/);
    assert.deepEqual(sample.comments.map((c) => c.text), [sample.comments[0]!.text, 'This is another, shorter comment']);
    assert.equal(sample.comments[1]!.created, undefined);
    const png = sample.files.find((f) => f.name === 'demo.png')!;
    assert.deepEqual([png.path, png.size], ['objects/1/files/1/demo.png', 9952]);
    assert.ok(a.warnings.includes('./objects/1/comments/2: dateCreated "2025-10-15T14:24:07.596630" is not an RFC 3339 date-time; left out'));
  });

  it('SciLog: a logbook is a notebook; Comment Datasets are comments; inline images and file links become markers', async () => {
    const a = await read('SciLog__export-2026-06-05.eln');
    assert.deepEqual(counts(a), { documents: 6, folders: 1, files: 2, gallery: 0, comments: 2, warnings: 0 });
    const book = a.items[0] as SourceContainer;
    assert.equal(book.kind, 'NOTEBOOK');
    assert.equal(book.children.length, 6);
    const image = doc(a, './696e3f8bd55e4c64c058ceac/');
    assert.deepEqual(image.tags, ['ctag']);
    assert.equal(image.created, '2026-01-19T14:28:27.166Z');
    assert.ok(field(image, 'Text').includes(fileMarker('./696e3f8bd55e4c64c058ceac/696e3f8b61107b830b1eff20.jpeg')));
    assert.deepEqual([image.files[0]!.path, image.files[0]!.size], ['696e3f8bd55e4c64c058ceac/696e3f8b61107b830b1eff20.jpeg', 714202]);
    const commented = doc(a, './69773b85d55e4cd59458ceb3/');
    assert.deepEqual(commented.comments.map((c) => c.text), ['this is a comment on a message', 'sdfsadf sdfdsaf']);
  });

  it('datalab: names with colons, repeated entities (the first wins, one warning each)', async () => {
    const a = await read('datalab__demo_IBPDKL.eln');
    assert.deepEqual(counts(a), { documents: 5, folders: 0, files: 7, gallery: 0, comments: 0, warnings: 4 });
    const oxide = doc(a, './demo:HPPPKI/');
    const xrd = oxide.files.find((f) => f.name === 'CG20474_jdb11-2a.xrdml')!;
    assert.deepEqual([xrd.path, xrd.size, xrd.contentType], ['demo:HPPPKI/CG20474_jdb11-2a.xrdml', 32170, 'application/octet-stream']);
    assert.deepEqual(doc(a, './demo:IBPDKL/').authors.map((p) => p.name), ['jdbocarsly@gmail.com', 'Matthew Evans']);
    assert.ok(a.warnings.includes('The crate describes ./people/65d6e50050726b088d328499 3 times; the first description is used'));
  });

  it('AI4Green: space-separated dates are left out with a warning; text and description both kept', async () => {
    const a = await read('AI4Green__Export_workbook-2024-08-27-export.eln');
    assert.deepEqual(counts(a), { documents: 1, folders: 0, files: 3, gallery: 0, comments: 1, warnings: 3 });
    const d = doc(a, './AI4-001/');
    assert.equal(d.name, 'Amidation');
    assert.equal(d.created, undefined);
    assert.match(field(d, 'Text'), /^<h2>AI4-001<\/h2>/);
    assert.match(field(d, 'Description'), /^<p>Benzoic acid, ethylamine/);
    assert.deepEqual(d.comments, [{ text: 'Some compound may have been lost in the aqueous phase during the extraction', author: 'Joe Davies', created: undefined }]);
    assert.ok(a.warnings.includes('"Amidation" (./AI4-001/): dateCreated "2024-07-18 15:56:12" is not an RFC 3339 date-time; left out'));
  });

  it('BenchLineage: mentions of contextual entities are kept by name in the Metadata field', async () => {
    const a = await read('BenchLineage__benchlineage-0.3.0-demo.eln');
    assert.deepEqual(counts(a), { documents: 1, folders: 0, files: 20, gallery: 0, comments: 0, warnings: 0 });
    const d = doc(a, './workspace/');
    assert.ok(d.tags.includes('power-electronics'));
    assert.deepEqual(d.mentions, []);
    assert.match(field(d, 'Metadata'), /<th>mentions<\/th>/);
    const csv = d.files.find((f) => f.name === 'rc-baseline.csv')!;
    assert.deepEqual([csv.path, csv.size], ['workspace/data/raw/rc-baseline.csv', 1693]);
  });

  it('Kadi4Mat: descriptions held in TextObjects; both exports', async () => {
    const records = await read('kadi4mat__records-example.eln');
    assert.deepEqual(counts(records), { documents: 1, folders: 0, files: 4, gallery: 0, comments: 0, warnings: 0 });
    const d = doc(records, './records-example/');
    assert.equal(field(d, 'Description'), '<p>This is a sample record.</p>');
    assert.match(field(d, 'Metadata'), /<th>license<\/th><td>Creative Commons Attribution 4.0<\/td>/);
    assert.equal(d.created, '2022-10-10T10:06:11.191Z');
    const collections = await read('kadi4mat__collections-example.eln');
    assert.deepEqual(counts(collections), { documents: 4, folders: 0, files: 13, gallery: 0, comments: 0, warnings: 0 });
    const pdf = doc(collections, './instrument-used-in-experiment/').files.find((f) => f.name === 'Product-flyer_GeminiSEM_360.pdf')!;
    assert.deepEqual([pdf.path, pdf.size, pdf.contentType], ['instrument-used-in-experiment/files/Product-flyer_GeminiSEM_360.pdf', 2415711, 'application/pdf']);
  });

  it('OpenSemanticLab: an id without ./ and a Person found by its URL', async () => {
    const a = await read('OpenSemanticLab__MinimalExample.osl.eln');
    assert.deepEqual(counts(a), { documents: 1, folders: 0, files: 0, gallery: 0, comments: 0, warnings: 0 });
    const d = doc(a, 'TestEntry/');
    assert.equal(d.created, '2021-01-01T00:00:00.000Z');
    assert.equal(d.authors[0]!.email, 'test@example.com');
    assert.equal(d.authors[0]!.name, 'TestPerson');
  });

  it('every fixture is an .eln archive, and every file it reads is an entry of the archive at the declared size', async () => {
    for (const name of ['elabftw__export.eln', 'PASTA__PASTA.eln', 'datalab__demo_IBPDKL.eln', 'SciLog__export-2026-06-05.eln']) {
      const source = extractedSource(eln(name));
      assert.ok(isElnArchive(source), name);
      const a = await readCrate(source);
      const files = [...all(a.items).flatMap((i) => (i.kind === 'DOCUMENT' ? i.files : [])), ...a.galleryFiles];
      for (const f of files) {
        const entry = source.entries.find((e) => e.path === f.path);
        assert.ok(entry, `${name}: ${f.path} is not an entry`);
        if (f.size !== undefined) assert.equal(f.size, entry.size, `${name}: ${f.path}`);
      }
    }
    assert.equal(isElnArchive(extractedSource(path.join(fixtures, 'rspace', 'RSPAC-1917-1-61chemtest.zip'))), false);
  });
});

describe('crates refused', () => {
  const refused = async (entries: Record<string, string>, message: RegExp) => {
    await assert.rejects(readCrate(zipOf(entries)), (e: unknown) => e instanceof ElnportError && e.httpCode === 422 && e.internalCode === 42201 && message.test(e.message));
  };

  it('with no ro-crate-metadata.json', () => refused({ 'top/readme.txt': 'hello' }, /no ro-crate-metadata\.json/));
  it('with metadata that is not JSON', () => refused({ 'top/ro-crate-metadata.json': '{"@graph": [' }, /cannot be read as JSON/));
  it('with no @graph', () => refused({ 'top/ro-crate-metadata.json': '{"@context": "https://w3id.org/ro/crate/1.1/context"}' }, /no @graph/));
  it('with no root Dataset', () =>
    refused({ 'top/ro-crate-metadata.json': JSON.stringify({ '@graph': [descriptor, { '@id': './', '@type': 'CreativeWork' }] }) }, /no root Dataset/));
  it('with a descriptor about nothing in the graph', () =>
    refused({ 'top/ro-crate-metadata.json': JSON.stringify({ '@graph': [{ ...descriptor, about: { '@id': './missing/' } }] }) }, /no root Dataset/));
});

describe('crate ids', () => {
  it('are matched percent-decoded, with or without ./ and a trailing slash; parts and links missing are warned about', async () => {
    const graph = [
      descriptor,
      { '@id': './', '@type': 'Dataset', hasPart: [{ '@id': 'a%20b' }, { '@id': './gone/' }, { '@id': 'c' }, { '@id': 'loose.txt' }] },
      { '@id': './a b/', '@type': 'Dataset', name: 'A', text: '<p><a href="./c/">see c</a> <a href="a%20b/data%20file.csv">data</a></p>', hasPart: [{ '@id': 'a b/data%20file.csv' }, { '@id': 'a b/absent.bin' }], mentions: [{ '@id': 'c' }] },
      { '@id': './a b/data file.csv', '@type': 'File', contentSize: '3' },
      { '@id': 'a b/absent.bin', '@type': 'File' },
      { '@id': 'c/', '@type': 'Dataset', name: 'C', text: 'line one\nline <two>\n\nnext' },
      { '@id': 'loose.txt', '@type': 'File', name: 'loose.txt', encodingFormat: 'text/plain' },
    ];
    const a = await readCrate(zipOf({ 'top/ro-crate-metadata.json': JSON.stringify({ '@graph': graph }), 'top/a b/data file.csv': 'x,y', 'top/loose.txt': 'hi' }));
    assert.deepEqual(a.items.map((i) => i.key), ['./a b/', 'c/']);
    const d = doc(a, './a b/');
    assert.deepEqual(d.files.map((f) => [f.key, f.path, f.name, f.size, f.contentType]), [['./a b/data file.csv', 'a b/data file.csv', 'data file.csv', 3, 'text/csv']]);
    assert.equal(field(d, 'Text'), `<p>${docMarker('c/')} ${fileMarker('./a b/data file.csv')}</p>`);
    assert.deepEqual(d.mentions, ['c/']);
    assert.deepEqual(a.galleryFiles.map((f) => f.path), ['loose.txt']);
    assert.deepEqual(a.warnings, [
      'File a b/absent.bin: the archive has no entry for it; left out',
      './ lists ./gone/ as a part, but the crate does not describe it; left out',
    ]);
    assert.equal(field(doc(a, 'c/'), 'Text'), '<p>line one<br>line &#60;two&#62;</p>\n<p>next</p>');
  });

  it('nested past 100 Datasets are cut off with a warning, not a stack overflow', async () => {
    const chain = Array.from({ length: 5000 }, (_, i) => ({ '@id': `d${i}/`, '@type': 'Dataset', name: `level ${i}`, hasPart: [{ '@id': `d${i + 1}/` }] }));
    const graph = [descriptor, { '@id': './', '@type': 'Dataset', hasPart: [{ '@id': 'd0/' }] }, ...chain];
    const a = await readCrate(zipOf({ 'top/ro-crate-metadata.json': JSON.stringify({ '@graph': graph }) }));
    assert.equal(all(a.items).length, 100);
    assert.deepEqual(a.warnings, ['"level 99" (d99/) is nested more than 100 Datasets deep; its parts are left out']);
  });
});
