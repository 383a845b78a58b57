import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { documentFolder, folderPage as folderPageName, mediaFolder } from '../src/domain/archiveNames.js';
import type { ExportDocument, ExportFieldFile, ExportFile, ExportFolder, ExportManifest } from '../src/domain/exportModel.js';
import { sanitiserVersion, unknownSanitiserVersion } from '../src/domain/fieldContent.js';
import { formats } from '../src/export/formats.js';
import { azIndexPage, documentPage, folderPage, indexPage, mediaPage, resources } from '../src/export/html/index.js';
import { manifestText } from '../src/export/manifest.js';
import { contentsOf, joinPieces, type ContentsArrays } from './support/archiveContents.js';

const sourceUrl = 'https://eln.example.org';
const at = '2026-11-20T09:30:00.000Z';
const manifest: ExportManifest = {
  exportedBy: 'Alice <script>alert(1)</script> & Co',
  appVersion: '0.1.0',
  sourceUrl,
  archiveId: '0b6c1a52-4f0e-4c55-9d1e-2f8a0c3b7e11',
  exportDate: '2026-11-26',
  exportedAt: '2026-11-26T14:05:09.000Z',
  scope: 'USER',
  counts: { documents: 5, folders: 2, files: 2, skipped: 1 },
  includeRevisionHistory: true,
  maxLinkLevel: 1,
  modifiedSince: null,
};

function folder(id: number, name: string, kind: ExportFolder['kind'], parentId: number | null): ExportFolder {
  return { id, name, kind, treeType: kind, parentId, ownerUsername: 'alice', created: at, modified: at, pagePath: folderPageName(name, id) };
}
const project = folder(10, 'Project <script>alert("p")</script> & Aspirin', 'FOLDER', null);
const notebook = folder(11, 'Lab book & notes', 'NOTEBOOK', 10);

function file(id: number, name: string, fileName: string, contentType: string, ownFolder: boolean): ExportFile {
  return {
    id, fileName, name, caption: 'Lane 3 & <4>', contentType, extension: fileName.split('.').pop()!, size: 2048,
    sha256: 'ab'.repeat(32), version: 1, created: at, modified: at, ownerUsername: 'alice', parentFolderId: null,
    folder: ownFolder ? mediaFolder(name, id) : null,
  };
}
const gel = file(40, 'Gel <b>image</b>', 'gel image #1.png', 'image/png', true);
const csv = file(41, 'Results', 'results 2024.csv', 'text/csv', false);

const summaryFolder = documentFolder('Summary & results', 30);
const revisionFolder = documentFolder('Summary & results', 30, 2);
const gelAttached: ExportFieldFile = { file: gel, path: `${gel.folder}/${gel.fileName}`, href: `../${gel.folder}/gel%20image%20%231.png` };
const csvAttached: ExportFieldFile = { file: csv, path: `${summaryFolder}/${csv.fileName}`, href: 'results%202024.csv' };
const outside = `${sourceUrl}/globalId/SD99`;

const content = `<p>Compare <a href="/globalId/SD22" data-doc-id="22">Day 1</a> with <a href="/globalId/SD99" data-doc-id="99">an old study</a>.</p>
<p><img src="/api/v1/files/40/file" alt="gel" data-file-id="40" /></p>
<p>Data: <a href="/api/v1/files/41/file" data-file-id="41">results</a>; lost: <a href="/api/v1/files/77/file" data-file-id="77">gone</a></p>
<p>See <a href="/workspace/editor/structuredDocument/5">the editor</a>, <a href="#top">top</a>, <a href="mailto:a@example.org">mail</a>.</p>
<p>From the web: <img src="https://images.example.com/plot.png?size=2&amp;dpi=300" alt="plot" />, <img src="figures/local.png" />,
<a href="https://images.example.com/"><img src="https://images.example.com/logo.png" alt="logo" /></a>, and a gallery file this export lacks: <img src="/api/v1/files/78/file" alt="lost gel" data-file-id="78" /></p>
<table><tbody><tr><td>1 &amp; 2</td></tr></tbody></table>`;
// Stored before the sanitiser existed: the page must not carry it as it is.
const legacy = '<p>Old</p><script>alert(3)</script><img src="x.png" onerror="alert(4)">';
// Cleaned on the way in by today's sanitiser, which would drop data-note: kept, so not sanitised twice.
const current = '<p data-note="checked once">Current</p>';

function doc(id: number, name: string, fields: ExportDocument['fields'], extra: Partial<ExportDocument> = {}): ExportDocument {
  return {
    id, name, version: 1, revisionOf: null, created: at, modified: at, tags: [], owner: { username: 'alice', fullName: 'Alice <Smith>' },
    form: { id: 1, name: 'Basic Document', fields: [{ name: 'Data', type: 'TEXT' }] },
    parent: { id: notebook.id, name: notebook.name, treeType: 'NOTEBOOK', inArchive: true },
    folder: documentFolder(name, id), otherVersions: [], fields, provenance: null, ...extra,
  };
}
function field(id: number, name: string, html: string, files: ExportFieldFile[] = [], links: ExportDocument['fields'][0]['links'] = [], version = sanitiserVersion) {
  return { id, name, type: 'TEXT', columnIndex: id, modified: at, content: html, sanitiserVersion: version, files, links, comments: [] };
}
const day1 = doc(22, 'Day 1', [field(1, 'Data', '<p>Weighed 2 g.</p>')]);
const day2 = doc(23, 'Day 2 <script>alert(2)</script>', [field(2, 'Data', '<p>Heated.</p>')]);
const day3 = doc(21, 'Day 3', [field(3, 'Data', '')]);
const entries = [day2, day3, day1];
const summary = doc(30, 'Summary & results', [
  field(4, 'Results & discussion', content, [gelAttached, csvAttached], [
    { id: 22, name: 'Day 1', href: `../${day1.folder}/${day1.folder}.html`, inArchive: true },
    { id: 99, name: 'Old <study>', href: outside, inArchive: false },
  ]),
  field(5, 'Conclusion', legacy, [], [], unknownSanitiserVersion),
  field(8, 'Checked', current),
], {
  version: 3,
  tags: ['gel', '<b>bold</b> & co'],
  parent: { id: project.id, name: project.name, treeType: 'FOLDER', inArchive: true },
  otherVersions: [{ version: 2, folder: revisionFolder, current: false }],
});
const revision: ExportDocument = {
  ...summary, version: 2, revisionOf: 30, folder: revisionFolder, otherVersions: [{ version: 3, folder: summaryFolder, current: true }],
  fields: [field(6, 'Results & discussion', content, [gelAttached, { ...csvAttached, href: `../${summaryFolder}/${csvAttached.href}` }])],
};
const loose = doc(50, 'Loose note', [field(7, 'Data', '')], { parent: { id: 5, name: 'Home', treeType: 'FOLDER', inArchive: false } });

const top = mkdtempSync(join(tmpdir(), 'elnport-html-'));
after(() => rmSync(top, { recursive: true, force: true }));
function put(path: string, data: string | Buffer): void {
  mkdirSync(dirname(join(top, path)), { recursive: true });
  writeFileSync(join(top, path), data);
}

// The archive as the builder lays it out.
put('manifest.txt', manifestText(manifest));
for (const r of resources()) put(`resources/${r.name}`, r.data);
for (const d of [...entries, summary, revision]) put(`${d.folder}/${d.folder}.html`, documentPage(d, manifest, d.parent === summary.parent ? project.pagePath : notebook.pagePath));
put(`${loose.folder}/${loose.folder}.html`, documentPage(loose, manifest));
put(csvAttached.path, 'lane,intensity\n3,0.5\n');
put(`${gel.folder}/${gel.folder}.html`, mediaPage(gel, manifest));
put(gelAttached.path, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
const placed = (d: ExportDocument) => ({ id: d.id, name: d.name, folder: d.folder, modified: d.modified, parentId: d.parent?.inArchive ? d.parent.id : null });
const contents = (arrays: Omit<ContentsArrays, 'manifest'>, m = manifest) => contentsOf({ manifest: m, ...arrays });
const archive = contents({ folders: [project, notebook], documents: [...entries, summary, loose].map(placed), files: [gel] });
for await (const { path, data } of formats.html.listings(archive)) put(path, await joinPieces(data));

const pages = readdirSync(top, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.html')).sort();
const read = (path: string) => readFileSync(join(top, path), 'utf8');
const decode = (s: string) =>
  s.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(amp|lt|gt|quot|apos));/gi, (_m, dec: string, hex: string, name: string) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[name.toLowerCase()]!);

/** Every href/src of a page that should lead to a file in the archive and does not. */
function brokenLinks(page: string, html: string): string[] {
  const broken: string[] = [];
  for (const m of html.matchAll(/\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    const url = decode(m[1] ?? m[2] ?? m[3]!);
    if (/^(?:https?:|mailto:|#)/i.test(url)) continue;
    const path = url.replace(/[?#].*$/, '');
    const target = resolve(dirname(join(top, page)), decodeURIComponent(path));
    if (/^[a-z][a-z0-9+.-]*:/i.test(url) || relative(top, target).startsWith('..') || !existsSync(target)) broken.push(url);
  }
  return broken;
}

/** xmllint's HTML 4 parser rejects HTML5 element names; every other complaint is broken markup. */
function markupErrors(path: string): string[] {
  const r = spawnSync('xmllint', ['--html', '--noout', path], { encoding: 'utf8' });
  return r.stderr.split('\n').filter((l) => / error : /.test(l) && !/ error : Tag \w+ invalid$/.test(l));
}

describe('HTML archive pages', () => {
  it('renders every page of the archive', () => {
    assert.equal(pages.length, 11, pages.join('\n'));
  });

  it('the checks below catch a broken link and broken markup', () => {
    put('broken/broken.html', '<p><a href="../nowhere.html">x</a><img src="gel%20image%20%231.png"><a href="javascript:alert(1)">j</a></div>');
    assert.deepEqual(brokenLinks('broken/broken.html', read('broken/broken.html')), ['../nowhere.html', 'gel%20image%20%231.png', 'javascript:alert(1)']);
    assert.ok(markupErrors(join(top, 'broken/broken.html')).length > 0);
    rmSync(join(top, 'broken'), { recursive: true });
  });

  it('every relative href and src resolves to a file in the archive', () => {
    for (const page of pages) assert.deepEqual(brokenLinks(page, read(page)), [], page);
  });

  it('every page is a standalone HTML document under a no-script policy', () => {
    for (const page of pages) {
      const html = read(page);
      assert.match(html, /^<!doctype html>\n<html lang="en">/, page);
      assert.match(html, /<meta charset="utf-8">/, page);
      assert.match(html, /<title>[^<]+<\/title>/, page);
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
      assert.ok(csp, `${page} has no CSP`);
      const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v]));
      assert.deepEqual(directives.get('default-src'), ["'none'"], page);
      for (const name of ['script-src', 'script-src-elem', 'script-src-attr', 'worker-src', 'object-src']) assert.equal(directives.get(name), undefined, page);
      assert.doesNotMatch(csp, /unsafe-eval|\*/, page);
      assert.deepEqual(directives.get('img-src'), ["'self'", 'file:', 'data:'], `${page}: images from the archive only`);
      assert.doesNotMatch(html, /<script|\son\w+\s*=|javascript:/i, page);
    }
  });

  it('escapes every name, tag, caption and manifest value', () => {
    const titles = Object.fromEntries(pages.map((p) => [p, /<title>([^<]*)<\/title>/.exec(read(p))![1]!]));
    assert.equal(decode(titles[`${summary.folder}/${summary.folder}.html`]!), 'Summary & results');
    assert.equal(decode(titles[`${day2.folder}/${day2.folder}.html`]!), day2.name);
    assert.equal(decode(titles[project.pagePath]!), project.name);
    const summaryPage = read(`${summary.folder}/${summary.folder}.html`);
    for (const raw of ['Summary & results', '<b>bold</b>', 'Alice <Smith>', 'Lane 3 & <4>', 'Old <study>', 'Gel <b>image</b>']) {
      assert.ok(!summaryPage.includes(raw), `unescaped: ${raw}`);
    }
    assert.ok(decode(summaryPage).includes('<b>bold</b> & co'));
    assert.ok(!read('index.html').includes(manifest.exportedBy));
    assert.ok(decode(read('index.html')).includes(`<td>${manifest.exportedBy}</td>`));
    assert.ok(!read('index.html').includes('Summary & results'));
  });

  it('shows the work first on the front page, then the export\'s facts in words', async () => {
    const html = read('index.html');
    const position = (needle: string) => {
      const i = html.indexOf(needle);
      assert.ok(i >= 0, `index.html lacks ${needle}`);
      return i;
    };
    const about = position('<h2>About this export</h2>');
    for (const content of ['<h2>Folders and notebooks</h2>', `href="./${project.pagePath}"`, '<h2>Documents</h2>', `href="./${loose.folder}/`, '<h2>Files</h2>']) {
      assert.ok(position(content) < about, `${content} comes before the facts`);
    }
    const facts = new Map(
      [...html.slice(about).matchAll(/<tr><th scope="row">([^<]*)<\/th><td>(.*?)<\/td><\/tr>/g)].map((m) => [decode(m[1]!), decode(m[2]!)]),
    );
    assert.deepEqual([...facts.keys()], [
      'Exported by', 'Exported on', 'Exported from', 'What was exported', 'Format', 'Documents exported', 'Folders and notebooks exported',
      'Files exported', 'Records skipped', 'Earlier versions', 'Linked documents', 'Archive id', 'Made by',
    ]);
    assert.equal(facts.get('Exported by'), manifest.exportedBy);
    assert.equal(facts.get('Exported on'), '2026-11-26');
    assert.equal(facts.get('What was exported'), "One person's work");
    assert.match(facts.get('Format')!, /^HTML/);
    assert.match(facts.get('Records skipped')!, /^1 /);
    assert.equal(facts.get('Linked documents'), 'Included up to 1 link away');
    assert.equal(facts.get('Made by'), 'elnport 0.1.0');
    for (const key of ['RSPace application version', 'archiveId', 'archiveSource', 'exportDate', 'recordsSkipped', 'maxLinkLevel', 'includeRevisionHistory', 'USER']) {
      assert.ok(!html.includes(key), `index.html shows the key ${key}`);
    }
    assert.ok(html.includes('<a href="manifest.txt">'), 'programs are pointed at manifest.txt, which keeps the keys');
    const changedSince = await joinPieces(indexPage(contents({}, { ...manifest, modifiedSince: at })));
    assert.ok(changedSince.includes(`<th scope="row">Changed since</th><td><time datetime="${at}">2026-11-20 09:30 UTC</time></td>`));
  });

  it('shows an owner one way on every page', () => {
    const ownerCell = (page: string) => /<tr><th scope="row">Owner<\/th><td>(.*?)<\/td><\/tr>/.exec(read(page))?.[1];
    const documentPages = [...entries, summary, revision, loose].map((d) => `${d.folder}/${d.folder}.html`);
    for (const page of documentPages) assert.equal(ownerCell(page), 'Alice &#60;Smith&#62; <span class="muted">(alice)</span>', page);
    // Folders and files carry only their owner's username, which is then shown alone.
    for (const page of [project.pagePath, notebook.pagePath, `${gel.folder}/${gel.folder}.html`]) assert.equal(ownerCell(page), 'alice', page);
    const nameless = documentPage({ ...day1, owner: { username: 'bob', fullName: ' ' } }, manifest);
    assert.ok(nameless.includes('<th scope="row">Owner</th><td>bob</td>'), 'no empty name before the username');
  });

  it('points links out of the archive at the source server', () => {
    const html = read(`${summary.folder}/${summary.folder}.html`);
    assert.ok(html.includes(`href="${outside}"`), 'document outside the archive');
    assert.ok(html.includes(`href="${sourceUrl}/globalId/GL77"`), 'file outside the archive');
    assert.ok(html.includes(`href="${sourceUrl}/workspace/editor/structuredDocument/5"`), 'a live-server link');
    assert.ok(html.includes(`href="../${day1.folder}/${day1.folder}.html" data-doc-id="22"`), 'document inside the archive');
    assert.ok(read(`${loose.folder}/${loose.folder}.html`).includes(`href="${sourceUrl}/globalId/FL5"`), 'parent folder outside');
  });

  it('loads no image from outside the archive', () => {
    for (const page of pages) {
      const sources = [...read(page).matchAll(/<img\b[^>]*?\ssrc="([^"]*)"/g)].map((m) => decode(m[1]!));
      assert.deepEqual(sources.filter((src) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(src)), [], page);
    }
  });

  it('shows a remote image as a link to it, and as text inside another link', () => {
    const html = read(`${summary.folder}/${summary.folder}.html`);
    const title = 'title="Image not in this export"';
    assert.ok(html.includes(`<a class="remote-image" ${title} href="https://images.example.com/plot.png?size=2&#38;dpi=300">Image: plot</a>`));
    assert.ok(html.includes(`<a class="remote-image" ${title} href="${sourceUrl}/figures/local.png">Image: ${sourceUrl}/figures/local.png</a>`), 'a relative image is on the source server');
    assert.ok(html.includes(`<a class="remote-image" ${title} href="${sourceUrl}/globalId/GL78">Image: lost gel</a>`), 'a gallery image the archive lacks');
    assert.ok(html.includes(`<a href="https://images.example.com/"><span class="remote-image" ${title}>Image: logo</span></a>`), 'no link inside a link');
  });

  it('sanitises again only content that an older or unknown sanitiser cleaned', () => {
    const html = read(`${summary.folder}/${summary.folder}.html`);
    assert.ok(html.includes(current), 'content this sanitiser version cleaned is shown as stored');
    assert.ok(html.includes('<p>Old</p>') && !html.includes('alert(3)') && !html.includes('alert(4)'), 'content of unknown version is sanitised again');
  });

  it('shows images inline, links other files, and says what a document is', () => {
    const html = read(`${summary.folder}/${summary.folder}.html`);
    assert.ok(html.includes(`<img src="${gelAttached.href}" alt="Gel &#60;b&#62;image&#60;/b&#62;">`));
    assert.ok(html.includes('<a href="results%202024.csv">results 2024.csv</a>'));
    for (const words of ['SD30', 'version 3', 'No comments', 'Results &#38; discussion', 'Basic Document', '2026-11-20 09:30 UTC']) assert.ok(html.includes(words), words);
    assert.ok(html.includes(`<a href="../${project.pagePath}">`), 'link to the parent folder');
    assert.ok(read(`${revision.folder}/${revision.folder}.html`).includes('Earlier version 2 of SD30'));
    assert.ok(html.includes(`<a href="../${revisionFolder}/${revisionFolder}.html">version 2</a>`), 'the current version links its kept ones');
    assert.ok(
      read(`${revision.folder}/${revision.folder}.html`).includes(`<a href="../${summaryFolder}/${summaryFolder}.html">version 3 (current)</a>`),
      'a kept version links the current one',
    );
    assert.ok(read(`${gel.folder}/${gel.folder}.html`).includes('<img src="./gel%20image%20%231.png"'));
    assert.ok(!read(`${loose.folder}/${loose.folder}.html`).includes('Up to'), 'no parent page when the parent is not exported');
  });

  it('lists a notebook\'s entries in the order given, numbered', async () => {
    const inArchive = read(notebook.pagePath);
    const order = (page: string) => {
      const list = /<ol class="entries">([\s\S]*?)<\/ol>/.exec(page)?.[1] ?? '';
      return [...list.matchAll(/href="\.\/doc_[^"/]*-(\d+)\//g)].map((m) => Number(m[1]));
    };
    assert.deepEqual(order(inArchive), [21, 22, 23], 'the plan gives entries in id order, their order in the notebook');
    const given = entries.map(placed);
    const unsorted = { ...archive, folderContents: (id: number | null) => ({ ...archive.folderContents(id), documents: (async function* () { yield* given; })() }) };
    assert.deepEqual(order(await joinPieces(folderPage(notebook, unsorted))), [23, 21, 22]);
  });

  it('sorts the A–Z index by name, ignoring case, ties by id', async () => {
    const documents = ['beta', 'alpha', 'Day 10', 'Zeta', 'Élan', 'Alpha', '#hash', 'Day 2'].map((name, i) => ({ id: i, name, folder: `x${i}`, modified: at, parentId: null }));
    const page = await joinPieces(azIndexPage(contents({ documents })));
    const names = [...page.matchAll(/<a href="x\d\/x\d\.html">([^<]*)<\/a>/g)].map((m) => decode(m[1]!));
    assert.deepEqual(names, ['#hash', 'alpha', 'Alpha', 'beta', 'Day 2', 'Day 10', 'Élan', 'Zeta']);
    assert.deepEqual([...page.matchAll(/<h2 id="az-(\w+)">/g)].map((m) => m[1]), ['other', 'A', 'B', 'D', 'E', 'Z']);
  });

  it('writes markup that parses without errors, and well-formed icons', () => {
    for (const page of pages) assert.deepEqual(markupErrors(join(top, page)), [], page);
    for (const r of resources().filter((r) => r.name.endsWith('.svg'))) {
      const lint = spawnSync('xmllint', ['--noout', join(top, 'resources', r.name)], { encoding: 'utf8' });
      assert.equal(lint.status, 0, `${r.name}: ${lint.stderr}`);
    }
  });
});
