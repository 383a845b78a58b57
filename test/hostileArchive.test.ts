import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab, type Account, type Lab } from './support/lab.js';
import { checkZip, downloadArchive, entries, exportAndWait, extract } from './support/archives.js';
import { upload, tinyPng as png } from './support/labWork.js';
import { chromiumSkip, markerName, tripwire, visitPages, type Tripwire, type Visit } from './support/browser.js';

/**
 * Issue 7's standing check: hostile markup stored in every place a user can write text (field
 * content, document, folder, notebook and file names, tags, captions, the user's own name) is
 * exported in both formats, and every page of each archive is opened from disk in Chromium with
 * script enabled. No payload may run, and no request may leave the unpacked archive.
 */

/**
 * Each payload that would run script calls the marker with a number, whatever quoting its
 * context allows; the number names the payload and the place it was stored.
 */
class Payloads {
  readonly described: string[] = [];
  /** Each document's field payload, by document id, so a finding on its page names the payload. */
  readonly fieldOf = new Map<number, string>();
  /** Document names, which a page must show as text: proof the hostile strings reached the pages. */
  readonly documentNames: string[] = [];
  stored = 0;

  constructor(readonly remote: string) {}

  mark(description: string): string {
    this.described.push(description);
    return `${markerName}(${this.described.length - 1})`;
  }

  /** Markup that breaks out of text, an attribute, a title, a comment or a CDATA section: for names, tags and captions. */
  forText(where: string): string[] {
    const m = (what: string) => this.mark(`${where}: ${what}`);
    const at = `${this.remote}/${encodeURIComponent(where)}`;
    return [
      `<script>${m('script')}</script>`,
      `<img src=x onerror=${m('img onerror')}>`,
      `"><svg onload=${m('svg onload after a double quote')}>`,
      `'><details open ontoggle=${m('details ontoggle after a single quote')}>`,
      `</title><body onload=${m('body onload after </title>')}>`,
      `--><script>${m('script after -->')}</script>`,
      `]]><script xmlns="http://www.w3.org/1999/xhtml">${m('XHTML script after ]]>')}</script>`,
      `<a href="javascript:${m('javascript: link')}">link</a>`,
      `<iframe srcdoc="<script>${m('iframe srcdoc')}</script>"></iframe>`,
      `<base href="${at}/base/">`,
      `<meta http-equiv="refresh" content="0;url=${at}/refresh">`,
      `<img src="${at}/remote.png">`,
      `<link rel="stylesheet" href="${at}/remote.css">`,
    ];
  }

  /** Field content: the sanitiser's side of things. */
  forFields(): string[] {
    const m = (what: string) => this.mark(`field: ${what}`);
    const at = `${this.remote}/field`;
    const gif = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';
    return [
      `<script>${m('script')}</script>`,
      `<img src=x onerror=${m('img onerror')}>`,
      `<img src="${gif}" onload=${m('img onload')}>`,
      `<svg onload=${m('svg onload')}></svg>`,
      `<body onload=${m('body onload')}>`,
      `<details open ontoggle=${m('details ontoggle')}><summary>s</summary>d</details>`,
      `<input autofocus onfocus=${m('input autofocus onfocus')}>`,
      `<video><source onerror=${m('video source onerror')}></video>`,
      `<a href="https://ok.example/" onclick="${m('onclick')}" onmouseover="${m('onmouseover')}">hover</a>`,
      `<a href="javascript:${m('javascript: href')}">x</a>`,
      `<a href="JaVaScRiPt&colon;${m('entity-encoded javascript: href')}">x</a>`,
      `<a href="data:text/html,<script>${m('data:text/html href')}</script>">x</a>`,
      `<img src="data:text/html,<script>${m('data:text/html src')}</script>">`,
      `<iframe src="data:text/html,<script>${m('data:text/html iframe')}</script>"></iframe>`,
      `<iframe srcdoc="<script>${m('iframe srcdoc')}</script>"></iframe>`,
      `<form action="${at}/form-action"><button formaction="javascript:${m('formaction')}">go</button></form>`,
      `<form action="javascript:${m('form action')}"><input type="submit"></form>`,
      `<svg><script>${m('svg script')}</script></svg>`,
      `<svg><foreignObject><img src=x onerror=${m('svg foreignObject img onerror')}></foreignObject></svg>`,
      `<svg><a xlink:href="javascript:${m('svg xlink:href')}"><text x="5" y="15">x</text></a></svg>`,
      `<svg><animate onbegin=${m('svg animate onbegin')} attributeName="x" dur="1s"></animate></svg>`,
      `<p style="width: expression(${m('css expression')})">x</p>`,
      `<div style="background:url(javascript:${m('css url(javascript:)')})">x</div>`,
      `<p style="background-image: url(${at}/style-attribute.png)">x</p>`,
      `<style>body { background: url(${at}/style-element.png) }</style>`,
      `<base href="${at}/base/"><img src="relative.png">`,
      `<meta http-equiv="refresh" content="0;url=${at}/refresh">`,
      `<meta http-equiv="refresh" content="0;url=javascript:${m('meta refresh javascript:')}">`,
      `<object data="data:text/html,<script>${m('object data')}</script>"></object>`,
      `<embed src="${at}/embed.swf">`,
      `<img src="${at}/remote.png" alt="remote image">`,
      `<a href="${at}/link">a remote link, which must stay a link</a>`,
      `<link rel="stylesheet" href="${at}/link.css">`,
      `<math><mtext><table><mglyph><style><img src=x onerror=${m('mXSS math/style')}></style></mglyph></table></mtext></math>`,
      `<noscript><p title="</noscript><img src=x onerror=${m('noscript title breakout')}>"></noscript>`,
      `<img src="${at}/placeholder.png" alt="<docId=1> onerror=${m('placeholder in alt')} x=">`,
    ];
  }
}

/**
 * Hostile file names, also used as folder names: markup, quotes, a path out of the folder, and a
 * right-to-left override that makes `gnp.exe` read as `exe.png`.
 */
const hostileFileNames = ['<img src=x onerror=alert(1)>.png', `"quote'.txt`, '../../etc/passwd', '\u202Egnp.exe'];

async function created(lab: Lab, who: Account, route: string, body: unknown): Promise<number> {
  const r = await lab.call('POST', route, { key: who.key, body });
  assert.equal(r.status, 201, `${route} ${JSON.stringify(body).slice(0, 200)}: ${r.text}`);
  return r.body.id;
}

/** Stores every payload through the API, as mallory, and returns mallory. */
async function storeHostileWork(lab: Lab, payloads: Payloads): Promise<Account> {
  const [firstName, lastName] = payloads.forText('user name');
  const r = await lab.call('POST', '/sysadmin/users', {
    body: { username: 'mallory', email: 'mallory@test.lab', firstName, lastName, password: 'password123', role: 'ROLE_USER' },
  });
  assert.equal(r.status, 201, r.text);
  const mallory: Account = { id: r.body.id, username: 'mallory', key: r.body.apiKey, homeFolderId: r.body.homeFolderId };
  payloads.stored += 2;

  const folderNames = [...payloads.forText('folder name'), ...hostileFileNames];
  const folders: number[] = [];
  for (const name of folderNames) folders.push(await created(lab, mallory, '/folders', { name, parentFolderId: mallory.homeFolderId }));
  const notebooks: number[] = [];
  for (const name of payloads.forText('notebook name')) {
    notebooks.push(await created(lab, mallory, '/folders', { name, notebook: true, parentFolderId: folders[0] }));
  }
  payloads.stored += folderNames.length + notebooks.length;

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" onload="${payloads.mark('svg file onload')}"><script>${payloads.mark('svg file script')}</script>`
    + `<foreignObject><img xmlns="http://www.w3.org/1999/xhtml" src="x" onerror="${payloads.mark('svg file foreignObject')}"/></foreignObject></svg>`;
  const captions = payloads.forText('caption');
  const uploads: [string, string, Buffer][] = [
    [hostileFileNames[0]!, 'image/png', png],
    [hostileFileNames[1]!, 'text/plain', Buffer.from('quoted\n')],
    [hostileFileNames[2]!, 'text/plain', Buffer.from('root:x:0:0\n')],
    [hostileFileNames[3]!, 'application/octet-stream', Buffer.from('MZ')],
    ['<svg onload=alert(2)>.svg', 'image/svg+xml', Buffer.from(svg)],
  ];
  const files: number[] = [];
  for (const [i, [name, type, bytes]] of uploads.entries()) {
    files.push(await upload(lab, mallory, name, type, bytes, captions[i % captions.length]));
  }
  payloads.stored += uploads.length * 2;

  // One document per field payload, so one payload's unclosed tag cannot hide the next; each
  // also carries a hostile name and tags, and lives in a hostile folder or notebook.
  const names = payloads.forText('document name');
  payloads.documentNames.push(...names);
  const tags = payloads.forText('tag');
  const homes = [...folders, ...notebooks];
  const documents: number[] = [];
  for (const [i, content] of payloads.forFields().entries()) {
    const id = await created(lab, mallory, '/documents', {
      name: names[i % names.length],
      tags: tags[i % tags.length],
      parentFolderId: homes[i % homes.length],
      fields: [{ content }],
    });
    documents.push(id);
    payloads.fieldOf.set(id, content);
    payloads.stored += 3;
  }
  // References render the hostile names of what they point at inside field content, through the
  // link rewriting of issue 7 item 7 (whose splice payload is the second paragraph).
  await created(lab, mallory, '/documents', {
    name: 'References',
    parentFolderId: notebooks[0],
    fields: [{
      content: `<p>${files.map((id) => `<fileId=${id}>`).join(' ')} <docId=${documents[0]}></p>`
        + `<p><a title="q href=" data-file-id="${files[1]}">t</a><img title=" src=" alt="${payloads.remote}/splice.png" data-file-id="${files[0]}"></p>`,
    }],
  });
  payloads.stored += 2;
  return mallory;
}

/** Every page-like entry of an archive: what a reader may open in a browser. */
const pagePattern = /\.(?:html|xhtml|xml)$/;

function pagesOnDisk(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => pagePattern.test(file) && fs.statSync(file).isFile())
    .sort();
}

/** Everything wrong with a visit, as lines naming the page; empty when the page is clean. */
function problems(visit: Visit, payloads: Payloads): string[] {
  const found = [
    ...visit.markers.map((n) => `script ran: ${payloads.described[Number(n)] ?? n}`),
    ...visit.dialogs.map((d) => `dialog opened: ${d}`),
    ...visit.escapes.map((url) => `request left the archive: ${url}`),
    ...visit.latent.map((l) => `script waiting for a click: ${l}`),
    ...(visit.navigatedTo ? [`navigated to ${visit.navigatedTo}`] : []),
  ];
  const documentId = /(?:^|\/)doc_[^/]*-(\d+)\//.exec(visit.page)?.[1];
  const field = payloads.fieldOf.get(Number(documentId));
  return found.map((p) => `${visit.page}: ${p}${field ? `, from the field ${field}` : ''}`);
}

/** A page that shows nothing would pass every other check: each must render. */
function assertRendered(visits: Visit[]): void {
  for (const visit of visits) {
    assert.ok(!visit.parseError, `${visit.page} is not well-formed`);
    assert.ok(visit.textLength > 0, `${visit.page} shows no text`);
    if (visit.page.endsWith('.html')) assert.ok(visit.title.trim(), `${visit.page} has no title`);
  }
}

// The archive does not depend on the database, so SQLite alone: the browser is the slow part.
describe('hostile content in export archives', { skip: chromiumSkip }, () => {
  const lab = useLab('sqlite');
  let wire: Tripwire;
  let payloads: Payloads;
  let mallory: Account;
  const scratch: string[] = [];

  before(async () => {
    wire = await tripwire();
    payloads = new Payloads(wire.origin);
    mallory = await storeHostileWork(lab(), payloads);
  });
  after(async () => {
    await wire?.close();
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each format is exported and unpacked once, for both of its tests.
  const unpackedArchives = new Map<string, Promise<{ root: string; pages: string[] }>>();
  function unpacked(format: 'html' | 'xml'): Promise<{ root: string; pages: string[] }> {
    if (!unpackedArchives.has(format)) unpackedArchives.set(format, exportAndUnpack(format));
    return unpackedArchives.get(format)!;
  }

  async function exportAndUnpack(format: 'html' | 'xml'): Promise<{ root: string; pages: string[] }> {
    const job = await exportAndWait(lab(), mallory.key, `${format}/user`);
    const archive = await downloadArchive(lab(), mallory.key, job);
    scratch.push(path.dirname(archive));
    checkZip(archive);
    const pageEntries = entries(archive).filter((e) => pagePattern.test(e));
    const root = extract(archive);
    scratch.push(root);
    const pages = pagesOnDisk(root);
    // A hostile name that unzip refused or placed elsewhere would drop its page from the check.
    assert.equal(pages.length, pageEntries.length, `pages on disk ${pages.length}, page entries in the zip ${pageEntries.length}`);
    return { root, pages };
  }

  /**
   * The check must be able to fail: a copy of the unpacked archive with one document's page
   * weakened (its CSP removed, as a careless layout change would leave it, and script, a remote
   * image and a click handler added; XHTML-namespaced, so they are live in an XML page too).
   */
  async function weakenedCopy(root: string, pages: string[], format: 'html' | 'xml'): Promise<Visit> {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-weakened-'));
    scratch.push(copy);
    fs.cpSync(root, copy, { recursive: true });
    const page = pages.find((p) => new RegExp(`/doc_[^/]*\\.${format}$`).test(p))!;
    const weakened = path.join(copy, path.relative(root, page));
    const xhtml = 'xmlns="http://www.w3.org/1999/xhtml"';
    const injected = `<script ${xhtml}>${markerName}(0); alert('weakened')</script>`
      + `<img ${xhtml} src="${wire.origin}/weakened.png"/><a ${xhtml} href="#" onclick="x()">c</a>`;
    const markup = fs.readFileSync(page, 'utf8')
      .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
      .replace(/<\/[^<]*$/, (closing) => `${injected}${closing}`);
    fs.writeFileSync(weakened, markup);
    const [visit] = await visitPages(copy, [weakened]);
    return visit!;
  }

  for (const format of ['html', 'xml'] as const) {
    it(`${format}: no page runs a payload or fetches from outside the archive`, async (t) => {
      const { root, pages } = await unpacked(format);
      const connectionsBefore = wire.connections;
      const started = Date.now();
      const visits = await visitPages(root, pages);
      t.diagnostic(`${format}: ${visits.length} pages opened in ${Date.now() - started} ms; ${payloads.stored} hostile strings stored`);
      assert.equal(visits.length, pages.length);
      assert.ok(pages.some((p) => p.endsWith(`.${format}`)), `no ${format} page in the archive`);
      const connections = wire.connections - connectionsBefore;
      const blocked = visits.flatMap((v) => v.blocked.map((url) => `${v.page}: ${url}`));
      for (const line of blocked) t.diagnostic(`stopped by the CSP (no leak): ${line}`);
      const found = [
        ...visits.flatMap((v) => problems(v, payloads)),
        ...(connections ? [`${wire.origin} was connected to ${connections} time(s)`] : []),
      ];
      assert.ok(found.length === 0, `${found.length} problems:\n${found.join('\n')}`);
      assertRendered(visits);
      if (format === 'html') {
        const unseen = payloads.documentNames.filter((name) => !visits.some((v) => v.title.includes(name)));
        assert.deepEqual(unseen, [], 'document names missing from every page title');
      }
    });

    it(`${format}: the check catches a page weakened to run script and fetch remotely`, async () => {
      const { root, pages } = await unpacked(format);
      const connectionsBefore = wire.connections;
      const visit = await weakenedCopy(root, pages, format);
      // Includes, not equals: whatever the page itself does wrong is the other test's to report.
      assert.ok(visit.markers.includes('0'), `markers: ${visit.markers.join(', ')}`);
      assert.ok(visit.dialogs.includes('alert: weakened'), `dialogs: ${visit.dialogs.join(', ')}`);
      assert.ok(visit.escapes.includes(`${wire.origin}/weakened.png`), `requests: ${visit.escapes.join(', ')}`);
      assert.ok(visit.latent.some((l) => l.includes('onclick')), visit.latent.join('\n'));
      assert.ok(wire.connections > connectionsBefore, 'the tripwire heard nothing');
    });
  }
});
