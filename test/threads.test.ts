import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { documentFolder } from '../src/domain/archiveNames.js';
import type { ExportDocument, ExportFormat, ExportManifest } from '../src/domain/exportModel.js';
import { sanitiserVersion, unknownSanitiserVersion } from '../src/domain/fieldContent.js';
import { documentEntries, type DocumentToRender } from '../src/export/documentEntries.js';
import { contentAtLimit } from './support/contentAtLimit.js';
import { forEachDatabase, useLab } from './support/lab.js';
import { closeThreads, inlineBelow, runOnThread, runTask } from '../src/threads/pool.js';
import { renderDocuments } from '../src/export/toRender.js';

/**
 * Issue 7: sanitising one large field held the event loop for seconds, so the server answered
 * nothing else meanwhile. Large work now runs on worker threads; what shows it is the order in
 * which things finish, not how long they take.
 */

/** Resolves with how many timer turns the event loop made until `work` settled. */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await work;
  done = true;
  return turns;
}

describe('the worker pool', () => {
  after(closeThreads);

  it('works on large input off the event loop, which keeps turning meanwhile', async () => {
    const content = contentAtLimit(1, 2);
    const turns = await turnsDuring(runTask('prepareField', content, content.length));
    assert.ok(turns > 0, 'no timer ran while a field at the limit was sanitised');
  });

  it('works on small input inline, where a thread would cost more than the work', async () => {
    const small = '<p>Hello <b>world</b></p>';
    assert.ok(small.length < inlineBelow);
    assert.equal(await turnsDuring(runTask('prepareField', small, small.length)), 0);
  });

  it('starts again after being closed, and refuses nesting past the limit on a thread too', async () => {
    await closeThreads();
    const deep = `${'<div>'.repeat(300)}${'x'.repeat(inlineBelow)}`;
    assert.equal(await runTask('prepareField', deep, deep.length), 'too deep');
  });
});

const at = '2026-11-20T09:30:00.000Z';
const manifest: ExportManifest = {
  exportedBy: 'Alice Smith', appVersion: '0.1.0', sourceUrl: 'https://eln.example.org', archiveId: '0b6c1a52-4f0e-4c55-9d1e-2f8a0c3b7e11',
  exportDate: '2026-11-26', exportedAt: '2026-11-26T09:30:00.000Z', scope: 'USER', counts: { documents: 60, folders: 1, files: 0, skipped: 0 },
  includeRevisionHistory: true, maxLinkLevel: 1, modifiedSince: null,
};

function document(id: number, name: string, contents: string[], extra: Partial<ExportDocument> = {}): ExportDocument {
  return {
    id, name, version: 1, revisionOf: null, created: at, modified: at, tags: ['gel', 'été'], owner: { username: 'alice', fullName: 'Alice Smith' },
    form: { id: 1, name: 'Basic Document', fields: contents.map((_, i) => ({ name: `Field ${i}`, type: 'TEXT' })) },
    parent: { id: 9, name: 'Lab book', treeType: 'NOTEBOOK', inArchive: true },
    folder: documentFolder(name, id), otherVersions: [],
    fields: contents.map((content, i) => ({
      id: id * 10 + i, name: `Field ${i}`, type: 'TEXT', columnIndex: i, modified: at, content,
      // Every few fields stored by an older sanitiser, so the HTML page cleans them again, on the thread.
      sanitiserVersion: i % 3 === 2 ? unknownSanitiserVersion : sanitiserVersion, files: [], links: [], comments: [],
    })),
    provenance: null, ...extra,
  };
}

/** A batch as an export sends one: 50 ordinary documents, one at the content limit, one empty, names in several scripts. */
const batch: DocumentToRender[] = [
  ...Array.from({ length: 50 }, (_, i) => ({
    doc: document(100 + i, `Day ${i} — essai n° ${i} 実験`, [`<p>Weighed ${i} g &amp; heated.</p>`.repeat(1 + (i % 40)), '<table><tbody><tr><td>1</td></tr></tbody></table>', '<p>Old</p><script>alert(1)</script>']),
    parentPagePath: i % 2 === 0 ? 'Lab-book-9.html' : undefined,
  })),
  { doc: document(200, 'At the limit', [contentAtLimit(1, 2)]), parentPagePath: undefined },
  { doc: document(201, 'Empty', [], { parent: null }), parentPagePath: undefined },
];

describe('rendering documents on a thread', () => {
  after(closeThreads);

  for (const format of ['html', 'xml', 'eln'] as ExportFormat[]) {
    it(`gives ${format} entries that inflate to exactly what documentEntries() renders, with their CRCs, as rendered inline`, async () => {
      const { entries: onThread, crates } = await runOnThread('renderDocuments', { format, items: batch, manifest });
      const rendered = batch.flatMap((item) => documentEntries(format, item, manifest));
      assert.equal(onThread.length, rendered.length);
      assert.equal(onThread.length, batch.length * { html: 1, xml: 2, eln: 3 }[format]);
      for (const [i, entry] of onThread.entries()) {
        const expected = Buffer.from(rendered[i]!.data);
        assert.equal(entry.path, rendered[i]!.path);
        assert.equal(entry.compressed, true);
        assert.deepEqual(zlib.inflateRawSync(entry.data), expected, entry.path);
        assert.deepEqual([entry.size, entry.crc32], [expected.length, zlib.crc32(expected)], entry.path);
        // A .eln archive's metadata names each page's sha256, taken on the thread from the same bytes.
        assert.equal(entry.sha256, format === 'eln' ? createHash('sha256').update(expected).digest('hex') : undefined, entry.path);
      }
      assert.equal(crates.length, batch.length);
      for (const [i, crate] of crates.entries()) {
        if (format !== 'eln') {
          assert.equal(crate, '');
          continue;
        }
        const [dataset] = JSON.parse(`[${crate}]`);
        assert.equal(dataset['@id'], `${batch[i]!.doc.folder}/`);
      }
      // The same bytes as inline, so a parallel build and a sequential one make the same archive.
      const inline = renderDocuments({ format, items: batch, manifest });
      assert.deepEqual(inline.entries.map((entry) => Buffer.from(entry.data)), onThread.map((entry) => Buffer.from(entry.data)));
      assert.deepEqual(inline.crates, crates);
      // Handed over as one buffer holding exactly the batch's bytes, not one per entry nor zlib's spare room.
      const buffers = new Set(onThread.map((entry) => entry.data.buffer));
      assert.equal(buffers.size, 1);
      assert.equal([...buffers][0]!.byteLength, onThread.reduce((sum, entry) => sum + entry.data.length, 0));
    });
  }

  it('gives nothing for an empty batch', async () => {
    assert.deepEqual(await runOnThread('renderDocuments', { format: 'xml', items: [], manifest }), { entries: [], crates: [] });
  });
});

/**
 * From another process (this one's event loop is the server's): sends the save, and 200 ms after
 * its body has gone asks for /status, then for how many documents there are. Were the server
 * held by the save, /status would be answered only once the save had been stored.
 */
const client = `
const http = require('node:http');
const [url, key, body] = [process.argv[1], process.argv[2], require('node:fs').readFileSync(0)];
const get = (path, then) => http.get(url + path, { headers: { apiKey: key } }, (r) => { let t = ''; r.on('data', (c) => { t += c; }).on('end', () => then(r.statusCode, t)); });
const seen = {};
const report = () => { if (seen.save && seen.documents !== undefined) process.stdout.write(JSON.stringify(seen)); };
const save = http.request(url + '/documents', { method: 'POST', headers: { apiKey: key, 'content-type': 'application/json' } }, (r) => r.resume().on('end', () => { seen.save = r.statusCode; report(); }));
save.end(body, () => setTimeout(() => get('/status', (status) => {
  seen.status = status;
  get('/documents?pageSize=1', (_s, text) => { seen.documents = JSON.parse(text).totalHits; report(); });
}), 200));`;

forEachDatabase((kind) => {
  describe('saving a field at the content limit', () => {
    const lab = useLab(kind);

    it('leaves the server answering other requests while it is sanitised', async () => {
      const alice = await lab().createUser('alice');
      const body = JSON.stringify({ fields: [{ content: contentAtLimit(1, 2).replace(/ data-(file|doc)-id="\d+"/g, '') }] });
      const child = spawn(process.execPath, ['-e', client, `${lab().url}/api/v1`, alice.key], { env: { ...process.env, NODE_TEST_CONTEXT: undefined }, stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      child.stdin.end(body);
      await once(child, 'exit');
      assert.deepEqual(JSON.parse(out), { status: 200, documents: 0, save: 201 }, 'the status answer waited for the save');
    });
  });
});

/**
 * Issue 9: a new thread loads only the module of the task it runs, and a thread that renders never
 * loads the sanitiser, which was a large part of a thread's start. Each module is imported in a
 * fresh process, and what CommonJS packages it pulled in is read from the module cache.
 */
describe('what a thread loads for its task', () => {
  function packagesLoadedBy(module: string, then = ''): string[] {
    const script = `
      import { createRequire } from 'node:module';
      const m = await import(${JSON.stringify(new URL(module, import.meta.url).href)});
      ${then}
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify([...new Set(cache.flatMap((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1] ?? []))]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
    return JSON.parse(out.trim().split('\n').at(-1)!) as string[];
  }

  it('renders documents without loading the sanitiser', () => {
    assert.ok(!packagesLoadedBy('../src/export/toRender.ts').includes('sanitize-html'));
  });

  it('checkpoints without loading the database addon until it checkpoints, nor the sanitiser', () => {
    const loaded = packagesLoadedBy('../src/store/walCheckpoints.ts');
    assert.ok(!loaded.includes('better-sqlite3') && !loaded.includes('sanitize-html'), loaded.join(', '));
  });

  it('loads the sanitiser for the first field it cleans (so the checks above can see it)', () => {
    assert.ok(packagesLoadedBy('../src/threads/tasks.ts', `m.prepareField('<p>x</p>');`).includes('sanitize-html'));
  });
});
