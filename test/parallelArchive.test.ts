import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { before, describe, it } from 'node:test';
import { loadViewer } from '../src/content/access.js';
import type { ExportRequest } from '../src/domain/exportJob.js';
import type { Viewer } from '../src/domain/permissions.js';
import { buildArchive, type BuildContext, type BuildOptions } from '../src/export/build.js';
import { sqliteFile } from '../src/store/db.js';
import { findJob } from '../src/store/queries/exportJobs.js';
import { findUserById } from '../src/store/queries/users.js';
import { version } from '../src/version.js';
import { checkZip } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { forEachDatabase, useLab, type Account, type Lab } from './support/lab.js';
import { loseAttachment, upload } from './support/labWork.js';
import { tempDir } from './support/tempDirs.js';

/**
 * Issue 9: documents are rendered and deflated on worker threads, several batches at once, and
 * written in order. An archive built so must hold what one built a batch at a time on the event
 * loop holds: the same entries in the same order, the same bytes in each.
 */

/** Enough documents for several pages of the plan and several render batches, some cut by size. */
const documentCount = 130;

async function labWork(lab: Lab, who: Account) {
  const post = async (route: string, body: unknown) => {
    const r = await lab.call('POST', route, { key: who.key, body });
    assert.equal(r.status, 201, r.text);
    return r.body.id as number;
  };
  const image = await upload(lab, who, 'gel.png', 'image/png', Buffer.alloc(3000, 7));
  const table = await upload(lab, who, 'od600.csv', 'text/csv', Buffer.from('t,od\n0,0.1\n'.repeat(500)));
  const notebook = await post('/folders', { name: 'Growth curves', notebook: true });
  const folder = await post('/folders', { name: 'Protocols' });
  const ids: number[] = [];
  for (let i = 0; i < documentCount; i++) {
    // Every seventh is long, so that batches are cut by size as well as by count.
    const filler = `<p>Reading ${i}: absorbance at 600 nm, blank subtracted.</p>`.repeat(i % 7 === 0 ? 3000 : 3);
    const links = ids.length ? ` after <docId=${ids[ids.length - 1]}>` : '';
    const files = i % 10 === 0 ? ` <fileId=${image}> <fileId=${table}>` : '';
    ids.push(await post('/documents', { name: `Day ${i}`, parentFolderId: i % 2 ? notebook : folder, fields: [{ content: `${filler}${links}${files}` }] }));
  }
  for (const id of ids.slice(0, 5)) {
    const r = await lab.call('PUT', `/documents/${id}`, { key: who.key, body: { fields: [{ content: `<p>Revised</p> <fileId=${image}>` }] } });
    assert.equal(r.status, 200, r.text);
  }
  return { notebook };
}

/** Each entry's name below the top folder, how it is stored, and a hash of its bytes, in archive order. */
function contents(file: string): string[] {
  const script = [
    'import hashlib, json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'top = z.namelist()[0]',
    // The archive's random id is its own: with the moment it was made (in a .eln's metadata, the
    // root's datePublished and the descriptor's dateCreated) the only bytes two builds may not share.
    'archive_id = next(l for l in z.read(top + "manifest.txt").split(b"\\n") if l.startswith(b"archiveId:")).split(b":", 1)[1]',
    'crate = top + "ro-crate-metadata.json"',
    'graph = json.loads(z.read(crate))["@graph"] if crate in z.namelist() else []',
    'made = [e["datePublished"].encode() for e in graph if e["@id"] == "./"]',
    'for i in z.infolist():',
    '    data = z.read(i).replace(archive_id, b"<archive id>")',
    '    for at in made: data = data.replace(at, b"<exported at>")',
    '    print(i.filename[len(top):], i.compress_type, hashlib.sha256(data).hexdigest())',
  ].join('\n');
  return execFileSync('python3', ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').filter(Boolean);
}

forEachDatabase((kind) => {
  describe('an archive rendered on worker threads', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0', ELNPORT_RATE_LIMIT: '1000000' });
    let jobId: number;
    let viewer: Viewer;
    let request: ExportRequest;
    let notebook: number;
    let alice: Account;

    before(async () => {
      alice = await lab().createUser('alice');
      ({ notebook } = await labWork(lab(), alice));
      // No worker takes the job: it is only the row the builds' plans belong to, one build at a
      // time. The service stops, or its sweeper would take the plan of a job no worker runs for an orphan's.
      await lab().server.exports.stop();
      const start = await lab().call('POST', '/export/html/user', { key: alice.key });
      assert.equal(start.status, 202, start.text);
      jobId = start.body.id;
      const job = (await findJob(lab().server.store.db, jobId))!;
      if (job.kind !== 'export') throw new Error(`job ${jobId} is not an export`);
      request = job.request;
      viewer = await loadViewer(lab().server.store.db, (await findUserById(lab().server.store.db, job.ownerId))!);
    });

    async function build(asked: Partial<ExportRequest>, options: BuildOptions, context: Partial<BuildContext> = {}): Promise<string> {
      const { store, blobs, archives } = lab().server;
      const ctx = { db: store.db, blobs, archives, appVersion: version, sourceUrl: lab().url, sqliteFile: kind === 'sqlite' ? sqliteFile(lab().dataDir) : undefined, ...context };
      const built = await buildArchive(ctx, jobId, viewer, { ...request, ...asked }, new AbortController().signal, () => undefined, options);
      // Read back through the store, which keeps it in the data directory or (the S3 pass) in the bucket.
      const file = path.join(tempDir('elnport-parallel-'), built.name);
      await pipeline(await archives.open(built.name), fs.createWriteStream(file));
      checkZip(file);
      return file;
    }

    const revisions = /^doc_[^/]+-rev\d+\//;
    const copies = /^doc_[^/]+\/gel\.png /;
    const cases: [string, () => Partial<ExportRequest>, RegExp][] = [
      ['HTML, a user with revision history', () => ({ format: 'html', includeRevisionHistory: true }), revisions],
      ['XML, a user with revision history', () => ({ format: 'xml', includeRevisionHistory: true }), revisions],
      ['.eln, a user with revision history', () => ({ format: 'eln', includeRevisionHistory: true }), revisions],
      ['HTML, a selection (files copied beside documents)', () => ({ format: 'html', scope: 'selection', selections: [notebook] }), copies],
      ['XML, a selection (files copied beside documents)', () => ({ format: 'xml', scope: 'selection', selections: [notebook] }), copies],
      ['.eln, a selection (files copied beside documents)', () => ({ format: 'eln', scope: 'selection', selections: [notebook] }), copies],
    ];
    for (const [title, asked, holds] of cases) {
      it(`holds the same entries, in the same order, with the same bytes, as one built sequentially: ${title}`, { timeout: 120_000 }, async () => {
        // Far fewer documents than the server's threshold for threads: `parallel` alone puts the
        // rendering (on SQLite, the reading too: loadAndRenderDocuments, proven below) on the threads.
        const parallelFile = await build(asked(), { parallel: true, window: 3 });
        const parallel = contents(parallelFile);
        const sequential = contents(await build(asked(), { parallel: false }));
        const pages = parallel.filter((e) => /^doc_Day-\d+-\d+\/doc_Day-\d+-\d+\.(html|xml) /.test(e));
        assert.ok(pages.length >= documentCount / 2, parallel.join('\n'));
        assert.ok(parallel.some((e) => holds.test(e)), `an entry like ${holds}:\n${parallel.join('\n')}`);
        if (asked().format === 'eln') {
          // The metadata names every page's sha256, taken on the threads on one side and here on the other.
          assert.ok(parallel.some((e) => e.startsWith('ro-crate-metadata.json ')), parallel.join('\n'));
          await assertValidEln(parallelFile);
        }
        assert.deepEqual(parallel, sequential);
      });
    }

    if (kind === 'sqlite') {
      /** A database file that does not exist: the threads' own connections fail; a sequential build reads on the server's. */
      const elsewhere = () => ({ sqliteFile: path.join(tempDir('elnport-parallel-'), 'no-such.sqlite') });

      it('reads the documents on the threads, from the database file the build names', async () => {
        await assert.rejects(build({ format: 'eln' }, { parallel: true }, elsewhere()), /^ElnportError: The export failed while writing the archive/);
        await build({ format: 'eln' }, { parallel: false }, elsewhere());
      });

      // Fails: better-sqlite3's SqliteError crosses from the thread as { code: 'SQLITE_CANTOPEN' },
      // message and stack lost, and explain() makes "[object Object]" of it.
      it("says why a thread's read failed", async () => {
        await assert.rejects(build({ format: 'eln' }, { parallel: true }, elsewhere()), /SQLITE_CANTOPEN|unable to open database file/);
      });
    }

    // Last: it leaves alice's work unexportable.
    it('leaves neither plan rows nor a draft behind, whether the build completes or fails', async () => {
      const planRows = async () =>
        Number((await lab().server.store.db.selectFrom('export_plan').select((eb) => eb.fn.countAll().as('n')).where('job_id', '=', jobId).executeTakeFirstOrThrow()).n);
      const drafts = async () => (await lab().stored()).drafts;
      await build({ format: 'xml' }, {});
      assert.equal(await planRows(), 0);
      await loseAttachment(lab(), alice);
      await assert.rejects(build({ format: 'xml' }, {}), /is missing from the server's storage/);
      assert.equal(await planRows(), 0);
      assert.deepEqual(await drafts(), []);
    });
  });
});
