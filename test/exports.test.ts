import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { insertExportJob } from '../src/store/queries/exportJobs.js';
import { ownWorkRequest } from './support/exportRequests.js';
import { expectError, forEachDatabase, isoDate, localBlobsOnly, useLab, type Account, type Lab } from './support/lab.js';
import {
  checkZip,
  downloadArchive,
  entries,
  exportAndWait,
  extract,
  rspaceSchemas,
  unresolvedLinks,
  waitForJob,
  xmllint,
} from './support/archives.js';
import { tinyPng as png, upload } from './support/labWork.js';

/** alice's notebook: two linked entries with an image and a CSV, one edited (so it has a revision). */
async function aliceWork(lab: Lab, alice: Account) {
  const image = await upload(lab, alice, 'gel image.png', 'image/png', png);
  const csv = await upload(lab, alice, 'od600.csv', 'text/csv', Buffer.from('t,od\n0,0.1\n'));
  const nb = await lab.call('POST', '/folders', { key: alice.key, body: { name: 'Notebook <2026>', notebook: true } });
  const first = await lab.call('POST', '/documents', {
    key: alice.key,
    body: { name: 'Day 1 & growth', tags: 'ecoli,od', parentFolderId: nb.body.id, fields: [{ content: `<p>Data <fileId=${csv}> and <fileId=${image}></p>` }] },
  });
  const second = await lab.call('POST', '/documents', {
    key: alice.key,
    body: { name: 'Day 2', parentFolderId: nb.body.id, fields: [{ content: `<p>After <docId=${first.body.id}></p>` }] },
  });
  await lab.call('PUT', `/documents/${second.body.id}`, { key: alice.key, body: { fields: [{ content: `<p>Revised, after <docId=${first.body.id}></p>` }] } });
  return { image, csv, notebook: nb.body.id as number, first: first.body.id as number, second: second.body.id as number };
}

forEachDatabase((kind) => {
  describe('export jobs', () => {
    const lab = useLab(kind, { ELNPORT_RETENTION_HOURS: '1' });
    let alice: Account;
    let bob: Account;
    let work: Awaited<ReturnType<typeof aliceWork>>;

    before(async () => {
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
      work = await aliceWork(lab(), alice);
    });

    it('walks the seed: POST 202, poll, COMPLETED, download with a matching CRC32 and size', async () => {
      const start = await lab().call('POST', '/export/html/user', { key: alice.key });
      assert.equal(start.status, 202);
      assert.deepEqual(Object.keys(start.body).sort(), ['_links', 'id', 'percentComplete', 'result', 'status']);
      assert.equal(start.body.status, 'STARTING');
      assert.equal(start.body.percentComplete, 0);
      assert.equal(start.body.result, null);
      assert.equal(start.body._links[0].rel, 'self');
      assert.equal(start.body._links[0].link, `${lab().url}/api/v1/jobs/${start.body.id}`);
      assert.equal(start.headers.get('location'), start.body._links[0].link);
      assert.ok(Number(start.headers.get('retry-after')) >= 1);

      const job = await waitForJob(lab(), alice.key, start.body.id);
      assert.equal(job.status, 'COMPLETED');
      assert.equal(job.percentComplete, 100);
      assert.equal(job.result.algorithm, 'CRC32');
      assert.match(job.result.checksum, /^\d+$/);
      assert.match(job.result.expiryDate, isoDate);
      assert.deepEqual(job._links.map((l: { rel: string }) => l.rel), ['enclosure', 'self']);
      assert.match(job._links[0].link, /\/api\/v1\/export\/RSpace-\d{4}-\d\d-\d\d-\d\d-\d\d-html-alice-[\w-]{14}\.zip$/);

      const file = await downloadArchive(lab(), alice.key, job);
      checkZip(file);
      const names = entries(file);
      const top = path.basename(file, '.zip');
      assert.ok(names.every((n) => n.startsWith(`${top}/`)), 'one top folder');
      assert.ok(names.includes(`${top}/manifest.txt`));
      assert.ok(names.includes(`${top}/index.html`));
      assert.ok(names.includes(`${top}/a-zIndex.html`));
      assert.ok(names.includes(`${top}/doc_Day-1--growth-${work.first}/doc_Day-1--growth-${work.first}.html`), names.join('\n'));
      assert.ok(names.includes(`${top}/media_gel-imagepng-${work.image}/gel image.png`), names.join('\n'));

      const dir = extract(file);
      assert.deepEqual(unresolvedLinks(path.join(dir, top)), []);
      const stored = fs.readFileSync(path.join(dir, top, `media_gel-imagepng-${work.image}`, 'gel image.png'));
      assert.deepEqual(stored, png);
      const manifest = fs.readFileSync(path.join(dir, top, 'manifest.txt'), 'utf8');
      assert.match(manifest, /^Exported by:alice Tester$/m);
      assert.match(manifest, /^RSPace application version:/m);
      assert.match(manifest, /^scope:USER$/m);
      const keys = manifest.trim().split('\n').map((l) => l.split(':')[0]!);
      assert.deepEqual(keys, [...keys].sort());
      const page = fs.readFileSync(path.join(dir, top, `doc_Day-2-${work.second}`, `doc_Day-2-${work.second}.html`), 'utf8');
      assert.ok(page.includes(`../doc_Day-1--growth-${work.first}/doc_Day-1--growth-${work.first}.html`), 'a link inside the archive is relative');
      assert.ok(!/<script/i.test(page));
    });

    it('writes XML that validates against our XSD and RSpace\'s, with revisions in their own folders', async () => {
      const job = await exportAndWait(lab(), alice.key, 'xml/user?includeRevisionHistory=True');
      const file = await downloadArchive(lab(), alice.key, job);
      checkZip(file);
      const top = path.basename(file, '.zip');
      const dir = path.join(extract(file), top);
      for (const name of ['manifest.txt', 'documentSchema.xsd', 'formSchema.xsd', 'folderTree.xml', 'linkResolver.xml', 'users.xml']) {
        assert.ok(fs.existsSync(path.join(dir, name)), name);
      }
      for (const [xml, xsd] of [['folderTree.xml', 'folderTreeSchema.xsd'], ['users.xml', 'usersSchema.xsd']] as const) {
        const valid = xmllint(path.join(dir, xsd), [path.join(dir, xml)]);
        assert.ok(valid.ok, valid.output);
      }
      const docs = fs.readdirSync(dir).filter((d) => d.startsWith('doc_'));
      assert.ok(docs.includes(`doc_Day-2-${work.second}-rev1`), docs.join(' '));
      const documentXmls = docs.map((d) => path.join(dir, d, `${d}.xml`));
      const formXmls = docs.map((d) => path.join(dir, d, `${d}_form.xml`));
      const mediaXmls = fs.readdirSync(dir).filter((d) => d.startsWith('media_')).map((d) => path.join(dir, d, `${d}.xml`));
      assert.ok(mediaXmls.length >= 2);
      const ours = xmllint(path.join(dir, 'documentSchema.xsd'), [...documentXmls, ...mediaXmls]);
      assert.ok(ours.ok, ours.output);
      const rspace = rspaceSchemas();
      const theirs = xmllint(rspace.documentSchema, [...documentXmls, ...mediaXmls]);
      assert.ok(theirs.ok, theirs.output);
      const forms = xmllint(rspace.formSchema, formXmls);
      assert.ok(forms.ok, forms.output);
      const second = fs.readFileSync(path.join(dir, `doc_Day-2-${work.second}`, `doc_Day-2-${work.second}.xml`), 'utf8');
      assert.ok(second.includes(`../doc_Day-1--growth-${work.first}/doc_Day-1--growth-${work.first}.xml`));
    });

    it('links every kept version in an HTML archive with revision history', async () => {
      const job = await exportAndWait(lab(), alice.key, 'html/user?includeRevisionHistory=true');
      const file = await downloadArchive(lab(), alice.key, job);
      const dir = path.join(extract(file), path.basename(file, '.zip'));
      assert.deepEqual(unresolvedLinks(dir), []);
      const current = fs.readFileSync(path.join(dir, `doc_Day-2-${work.second}`, `doc_Day-2-${work.second}.html`), 'utf8');
      assert.ok(current.includes(`../doc_Day-2-${work.second}-rev1/doc_Day-2-${work.second}-rev1.html`));
    });

    it('exports a selection: folders expand, unreadable ids are dropped and counted', async () => {
      const bobs = await lab().call('POST', '/documents', { key: bob.key, body: { name: 'Bob private' } });
      const job = await exportAndWait(lab(), alice.key, `html/selection?selections=${work.notebook},${bobs.body.id},999999`);
      assert.equal(job.result.recordsSkipped, 2);
      assert.equal(job.result.documentsExported, 2);
      const file = await downloadArchive(lab(), alice.key, job);
      const names = entries(file);
      assert.ok(!names.some((n) => n.includes('Bob-private')));
      // Files not selected themselves travel beside the document that shows them.
      assert.ok(names.some((n) => n.endsWith(`/doc_Day-1--growth-${work.first}/od600.csv`)), names.join('\n'));
      assert.deepEqual(unresolvedLinks(path.join(extract(file), path.basename(file, '.zip'))), []);
    });

    it('follows links to documents outside the selection up to maxLinkLevel, else links out absolutely', async () => {
      const linked = await exportAndWait(lab(), alice.key, `html/selection?selections=${work.second}`);
      assert.equal(linked.result.documentsExported, 2);
      const alone = await exportAndWait(lab(), alice.key, `html/selection?selections=${work.second}&maxLinkLevel=0`);
      assert.equal(alone.result.documentsExported, 1);
      const file = await downloadArchive(lab(), alice.key, alone);
      const top = path.basename(file, '.zip');
      const dir = extract(file);
      const page = fs.readFileSync(path.join(dir, top, `doc_Day-2-${work.second}`, `doc_Day-2-${work.second}.html`), 'utf8');
      assert.ok(page.includes(`${lab().url}/globalId/SD${work.first}`), 'outside the archive: the absolute globalId URL');
    });

    it('validates both path forms and the parameters', async () => {
      const badFormat = expectError(await lab().call('POST', '/export/pdf/user', { key: alice.key }), 400, 40002);
      assert.match(badFormat.message, /html, xml/);
      expectError(await lab().call('POST', '/export/html/everything', { key: alice.key }), 400, 40002);
      expectError(await lab().call('POST', '/export/pdf/user/1', { key: alice.key }), 400, 40002);
      expectError(await lab().call('POST', '/export/html/user/abc', { key: alice.key }), 400, 40003);
      expectError(await lab().call('POST', '/export/html/selection', { key: alice.key }), 422, 42201);
      const many = Array.from({ length: 2001 }, (_, i) => i + 1).join(',');
      expectError(await lab().call('POST', `/export/html/selection?selections=${many}`, { key: alice.key }), 422, 42201);
      expectError(await lab().call('POST', '/export/html/selection?selections=1,x', { key: alice.key }), 400, 40003);
      expectError(await lab().call('POST', '/export/html/user?maxLinkLevel=-1', { key: alice.key }), 400, 40002);
      expectError(await lab().call('POST', '/export/html/user?includeRevisionHistory=maybe', { key: alice.key }), 400, 40002);
      expectError(await lab().call('POST', '/export/html/user', { key: null }), 401, 40101);
      const refused = expectError(await lab().call('POST', `/export/html/user/${bob.id}`, { key: alice.key }), 401, 40101);
      assert.match(refused.message, /Unauthorized attempt by alice to export records belonging to bob/);
      expectError(await lab().call('POST', '/export/html/selection?selections=999998', { key: alice.key }), 401, 40101);
      const jobs = await lab().call('GET', '/jobs?pageSize=100', { key: alice.key });
      assert.ok(jobs.body.jobs.every((j: { status: string }) => j.status !== 'STARTING'), 'no refused request left a job');
    });

    it("hides other users' jobs and archives, and checks archive names", async () => {
      const job = await exportAndWait(lab(), alice.key, 'xml/user');
      expectError(await lab().call('GET', `/jobs/${job.id}`, { key: bob.key }), 404, 40402);
      expectError(await lab().call('GET', '/jobs/987654', { key: alice.key }), 404, 40402);
      const name = new URL(job._links[0].link).pathname.split('/').pop()!;
      expectError(await lab().call('GET', `/export/${name}`, { key: bob.key }), 404, 40402);
      const asSysadmin = await lab().call('GET', `/export/${name}`);
      assert.equal(asSysadmin.status, 200);
      expectError(await lab().call('GET', '/export/..%2F..%2Fetc%2Fpasswd', { key: alice.key }), 422, 42201);
      expectError(await lab().call('GET', '/export/no-such-archive', { key: alice.key }), 404, 40402);
    });

    it('resumes a download with single Range requests', async () => {
      const job = await exportAndWait(lab(), alice.key, 'html/user');
      const url = job._links[0].link;
      const whole = Buffer.from(await (await fetch(url, { headers: { apiKey: alice.key } })).arrayBuffer());
      const head = await fetch(url, { method: 'HEAD', headers: { apiKey: alice.key } });
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers.get('content-length')), whole.length);
      assert.equal(head.headers.get('accept-ranges'), 'bytes');
      const etag = head.headers.get('etag')!;
      assert.ok(etag);
      assert.match(head.headers.get('content-disposition')!, /attachment; filename="RSpace-.*\.zip"/);
      const part1 = await fetch(url, { headers: { apiKey: alice.key, range: 'bytes=0-99' } });
      assert.equal(part1.status, 206);
      assert.equal(part1.headers.get('content-range'), `bytes 0-99/${whole.length}`);
      const rest = await fetch(url, { headers: { apiKey: alice.key, range: 'bytes=100-', 'if-range': etag } });
      assert.equal(rest.status, 206);
      const joined = Buffer.concat([Buffer.from(await part1.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
      assert.equal(String(zlib.crc32(joined)), job.result.checksum);
      const stale = await fetch(url, { headers: { apiKey: alice.key, range: 'bytes=100-', 'if-range': '"other"' } });
      assert.equal(stale.status, 200, 'a changed ETag gets the whole file');
      await stale.arrayBuffer();
      const beyond = await lab().call('GET', new URL(url).pathname.replace('/api/v1', ''), { key: alice.key, headers: { range: `bytes=${whole.length + 10}-` } });
      expectError(beyond, 416, 41601);
    });

    it('deletes a completed archive on DELETE: later downloads are 410', async () => {
      const job = await exportAndWait(lab(), alice.key, 'html/user');
      const del = await lab().call('DELETE', `/jobs/${job.id}`, { key: alice.key });
      assert.equal(del.status, 204);
      const after = await lab().call('GET', `/jobs/${job.id}`, { key: alice.key });
      assert.equal(after.body.status, 'COMPLETED');
      assert.equal(after.body.result.checksum, job.result.checksum, 'the figures stay');
      assert.equal(job.result.archiveDeleted, false);
      assert.equal(after.body.result.archiveDeleted, true);
      const name = new URL(job._links[0].link).pathname.split('/').pop()!;
      const gone = expectError(await lab().call('GET', `/export/${name}`, { key: alice.key }), 410, 41001);
      assert.match(gone.message, /expired/);
    });

    it('fails a job whose attachment is missing from storage, with a readable message and no file left', async () => {
      const carol = await lab().createUser('carol');
      const fileId = await upload(lab(), carol, 'lost.bin', 'application/octet-stream', Buffer.from('gone soon'));
      await lab().call('POST', '/documents', { key: carol.key, body: { name: 'Shows a lost file', fields: [{ content: `<fileId=${fileId}>` }] } });
      const { blob_key } = await lab().server.store.db.selectFrom('media').select('blob_key').where('record_id', '=', fileId).executeTakeFirstOrThrow();
      await lab().server.blobs.delete(blob_key);
      const job = await exportAndWait(lab(), carol.key, 'html/user');
      assert.equal(job.status, 'FAILED');
      assert.equal(job.result.httpCode, 500);
      assert.match(job.result.message, /lost\.bin.*missing/);
      assert.deepEqual(job.result.errors, [job.result.message]);
      assert.deepEqual((await lab().stored()).drafts, [], 'no draft left behind');
      const next = await lab().call('POST', '/export/xml/selection?selections=' + carol.homeFolderId, { key: carol.key });
      assert.equal(next.status, 202, 'a failed job does not block its owner');
      await waitForJob(lab(), carol.key, next.body.id);
    });

    it('lists the caller\'s jobs newest first', async () => {
      const r = await lab().call('GET', '/jobs?pageSize=2', { key: alice.key });
      assert.equal(r.status, 200);
      assert.ok(r.body.totalHits >= 5);
      assert.equal(r.body.jobs.length, 2);
      assert.ok(r.body.jobs[0].id > r.body.jobs[1].id);
      assert.ok(r.body._links.some((l: { rel: string }) => l.rel === 'next'));
    });
  });

  describe('export jobs with no worker in the process', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });

    it('answers 429 while the caller has an unfinished export, and cancels a waiting one', async () => {
      const dave = await lab().createUser('dave');
      const first = await lab().call('POST', '/export/html/user', { key: dave.key });
      assert.equal(first.status, 202);
      const second = expectError(await lab().call('POST', '/export/xml/user', { key: dave.key }), 429, 42901);
      assert.equal(second.message, 'There is already a running export job');
      const waiting = await lab().call('GET', `/jobs/${first.body.id}`, { key: dave.key });
      assert.equal(waiting.body.status, 'STARTING');
      assert.ok(waiting.headers.get('retry-after'));
      const cancel = await lab().call('DELETE', `/jobs/${first.body.id}`, { key: dave.key });
      assert.equal(cancel.status, 204);
      const after = await lab().call('GET', `/jobs/${first.body.id}`, { key: dave.key });
      assert.equal(after.body.status, 'ABANDONED');
      assert.equal(after.headers.get('retry-after'), null);
      const third = await lab().call('POST', '/export/xml/user', { key: dave.key });
      assert.equal(third.status, 202, 'a cancelled job no longer blocks');
    });
  });

  describe('expiry', () => {
    // 0.0005 h = 1.8 s: long enough to download once, short enough to watch it go.
    const lab = useLab(kind, { ELNPORT_RETENTION_HOURS: '0.0005' });

    it('fixes expiryDate at completion and answers 410 once the sweeper removed the archive', async () => {
      const erin = await lab().createUser('erin');
      await lab().call('POST', '/documents', { key: erin.key, body: { name: 'Short-lived' } });
      const job = await exportAndWait(lab(), erin.key, 'html/user');
      const expiry = Date.parse(job.result.expiryDate);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await lab().call('GET', `/jobs/${job.id}`, { key: erin.key });
      assert.equal(again.body.result.expiryDate, job.result.expiryDate, 'expiryDate does not move');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiry - Date.now()) + 1500));
      const name = new URL(job._links[0].link).pathname.split('/').pop()!;
      expectError(await lab().call('GET', `/export/${name}`, { key: erin.key }), 410, 41001);
      assert.ok(!(await lab().stored()).archives.includes(name), 'the sweeper deleted the file');
      const after = await lab().call('GET', `/jobs/${job.id}`, { key: erin.key });
      assert.equal(after.body.status, 'COMPLETED');
      assert.equal(after.body.result.size, job.result.size);
    });

    // A draft's age is its file's mtime, which the test sets; an S3 object's LastModified it cannot.
    it('sweeps away drafts that no running job owns, and leaves a running job\'s', { skip: localBlobsOnly(kind) }, async () => {
      const owner = await lab().createUser('drafter');
      // A job a worker elsewhere is building, as the sweeper finds it in the table.
      const running = await insertExportJob(lab().server.store.db, owner.id, ownWorkRequest('xml'), new Date().toISOString());
      await lab().server.store.db
        .updateTable('export_jobs')
        .set({ status: 'STARTED', worker_id: 'elsewhere', heartbeat: new Date(Date.now() + 3_600_000).toISOString() })
        .where('id', '=', running.id)
        .execute();
      const tmp = path.join(lab().dataDir, 'archives', 'tmp');
      const stray = path.join(tmp, 'job-424242-RSpace-stray.zip.part');
      fs.writeFileSync(stray, 'half an archive');
      const building = path.join(tmp, `job-${running.id}-RSpace-building.zip.part`);
      fs.writeFileSync(building, 'an archive being written');
      try {
        for (let i = 0; i < 50 && fs.existsSync(stray); i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(!fs.existsSync(stray), 'a draft of no running job is removed');
        assert.ok(fs.existsSync(building), "a running job's draft is left alone");
      } finally {
        await lab().server.store.db.updateTable('export_jobs').set({ status: 'FAILED' }).where('id', '=', running.id).execute();
        fs.rmSync(building, { force: true });
      }
    });
  });
});
