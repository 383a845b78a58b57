import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig } from '../src/config.js';
import { Sweeper } from '../src/jobs/sweeper.js';
import { checkZip, downloadArchive, exportAndWait } from './support/archives.js';
import { startLab, type Account, type Lab } from './support/lab.js';
import { addWork } from './support/labWork.js';
import { fakeS3Bucket, fakeS3Credentials, startFakeS3, type FakeS3 } from './support/s3rver.js';

/**
 * The server with ELNPORT_BLOBS=s3, end to end. The credentials are the AWS SDK's to find, in the
 * process's environment as on a deployed server, so they are set there.
 */
describe('a server storing blobs and archives in S3 (s3rver)', () => {
  let s3: FakeS3;
  let lab: Lab;
  let alice: Account;
  let settings: Record<string, string>;

  before(async () => {
    s3 = await startFakeS3();
    settings = { AWS_ACCESS_KEY_ID: fakeS3Credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeS3Credentials.secretAccessKey };
    Object.assign(process.env, settings);
    lab = await startLab('sqlite', s3.env('lab/'));
    alice = await lab.createUser('alice');
  });
  after(async () => {
    await lab?.close();
    await s3.close();
    for (const name of Object.keys(settings)) delete process.env[name];
  });

  async function keys(under: string): Promise<string[]> {
    const listed = await s3.client().client.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket, Prefix: `lab/${under}` }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  it('serves an attachment, and an export of it, from the bucket; the sweeper removes the archive at expiry', async () => {
    const work = await addWork(lab, alice);
    assert.equal((await keys('blobs/')).length, 1, 'the attachment is in the bucket');
    assert.ok(!fs.existsSync(path.join(lab.dataDir, 'blobs')), 'and not in the data directory');
    const file = await fetch(`${lab.url}/api/v1/files/${work.file}/file`, { headers: { apiKey: alice.key, range: 'bytes=100-199' } });
    assert.equal(file.status, 206);
    assert.equal((await file.arrayBuffer()).byteLength, 100);
    const whole = await fetch(`${lab.url}/api/v1/files/${work.file}/file`, { headers: { apiKey: alice.key } });
    assert.equal(whole.status, 200);
    assert.equal((await whole.arrayBuffer()).byteLength, 256 * 1024);

    const job = await exportAndWait(lab, alice.key, 'html/user');
    const name = path.basename(new URL(job._links[0].link).pathname);
    assert.deepEqual(await keys(''), [`lab/archives/${name}`, ...(await keys('blobs/'))], 'no draft is left');
    assert.ok(!fs.existsSync(path.join(lab.dataDir, 'archives')), 'no local copy of the archive');
    const archive = await downloadArchive(lab, alice.key, job);
    checkZip(archive);
    const bytes = fs.readFileSync(archive);

    const url = job._links[0].link;
    const streamed = await fetch(url, { redirect: 'manual', headers: { apiKey: alice.key } });
    assert.equal(streamed.status, 200, 'no redirect without ELNPORT_S3_REDIRECT');
    assert.equal(streamed.headers.get('location'), null);
    await streamed.arrayBuffer();
    const head = await fetch(url, { method: 'HEAD', headers: { apiKey: alice.key } });
    assert.equal(Number(head.headers.get('content-length')), bytes.length);
    const etag = head.headers.get('etag')!;
    const part = await fetch(url, { headers: { apiKey: alice.key, range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    const rest = await fetch(url, { headers: { apiKey: alice.key, range: 'bytes=100-', 'if-range': etag } });
    assert.equal(rest.status, 206);
    const joined = Buffer.concat([Buffer.from(await part.arrayBuffer()), Buffer.from(await rest.arrayBuffer())]);
    assert.equal(String(zlib.crc32(joined)), job.result.checksum);
    const bob = await lab.createUser('bob');
    assert.equal((await fetch(url, { headers: { apiKey: bob.key } })).status, 404, 'owner-only');

    const db = lab.server.store.db;
    await db.updateTable('export_jobs').set({ expiry_date: new Date(Date.now() - 1000).toISOString() }).where('id', '=', job.id).execute();
    const { server } = lab;
    const sweeper = new Sweeper(
      { db, dialect: server.store.dialect, blobs: server.blobs, archives: server.archives, config: loadConfig({ ELNPORT_DATA_DIR: lab.dataDir }), log: server.app.log },
      () => undefined,
    );
    await sweeper.sweep();
    assert.deepEqual(await keys('archives/'), [], 'the sweeper deleted the archive from the bucket');
    assert.equal((await fetch(url, { headers: { apiKey: alice.key } })).status, 410);
  });
});
