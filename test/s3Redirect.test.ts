import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ElnClient } from '../src/client/index.js';
import { exportAndWait } from './support/archives.js';
import { forEachDatabase, startLab, type Account, type Lab } from './support/lab.js';
import { addWork } from './support/labWork.js';
import { startProxy, type Proxy } from './support/proxy.js';
import { credentialsEnv, fakeS3Bucket, startFakeS3, type FakeS3 } from './support/s3rver.js';
import { tempDir } from './support/tempDirs.js';

/**
 * ELNPORT_S3_REDIRECT=true: a download that passes every check is a 302 to a presigned URL of the
 * archive, which a client with no key follows; a download that fails one is answered as without
 * the setting, and never with a URL. (s3rver checks a presigned URL's expiry, not its signature.)
 */
forEachDatabase((kind) => {
  describe('downloads redirected to presigned S3 URLs (s3rver)', () => {
    let s3: FakeS3;
    let lab: Lab;
    let alice: Account;
    let job: any;
    let url: string;
    let name: string;
    const credentials = credentialsEnv;

    before(async () => {
      s3 = await startFakeS3();
      Object.assign(process.env, credentials);
      lab = await startLab(kind, { ...s3.env('lab/'), ELNPORT_S3_REDIRECT: 'true' });
      alice = await lab.createUser('alice');
      await addWork(lab, alice);
      job = await exportAndWait(lab, alice.key, 'html/user');
      url = job._links[0].link;
      name = path.basename(new URL(url).pathname);
    });
    after(async () => {
      await lab?.close();
      await s3.close();
      for (const variable of Object.keys(credentials)) delete process.env[variable];
    });

    const ask = (headers: Record<string, string>, method = 'GET') => fetch(url, { method, redirect: 'manual', headers });

    async function setExpiry(at: Date): Promise<void> {
      await lab.server.store.db.updateTable('export_jobs').set({ expiry_date: at.toISOString() }).where('id', '=', job.id).execute();
    }

    it('answers the owner with a 302 to a URL that serves the archive, with our type and file name, to a client with no key', async () => {
      for (const accept of ['application/zip', 'application/octet-stream']) {
        const redirect = await ask({ apiKey: alice.key, accept });
        assert.equal(redirect.status, 302);
        assert.equal(redirect.headers.get('cache-control'), 'private, no-store');
        const location = redirect.headers.get('location')!;
        assert.ok(location.startsWith(`${s3.endpoint}/${fakeS3Bucket}/lab/archives/${name}?`), location);
        assert.equal(new URL(location).searchParams.get('X-Amz-Expires'), '300', 'the default lifetime');

        const answer = await fetch(location);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('content-type'), accept);
        assert.equal(answer.headers.get('content-disposition'), `attachment; filename="${name}"`);
        const bytes = Buffer.from(await answer.arrayBuffer());
        assert.equal(bytes.length, job.result.size);
        assert.equal(String(zlib.crc32(bytes)), job.result.checksum);
      }
    });

    it('redirects a Range GET, which S3 answers with the range; a range outside the archive is still our 416', async () => {
      const redirect = await ask({ apiKey: alice.key, range: 'bytes=100-199' });
      assert.equal(redirect.status, 302);
      const part = await fetch(redirect.headers.get('location')!, { headers: { range: 'bytes=100-199' } });
      assert.equal(part.status, 206);
      const whole = Buffer.from(await (await fetch((await ask({ apiKey: alice.key })).headers.get('location')!)).arrayBuffer());
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), whole.subarray(100, 200));

      const outside = await ask({ apiKey: alice.key, range: `bytes=${job.result.size}-` });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get('location'), null);
    });

    it('answers HEAD itself, with our ETag and size', async () => {
      const head = await ask({ apiKey: alice.key }, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('location'), null);
      assert.equal(Number(head.headers.get('content-length')), job.result.size);
      assert.match(head.headers.get('etag')!, /^"[0-9a-f]{64}"$/);
    });

    it('gives no URL to anyone but the owner', async () => {
      const bob = await lab.createUser('bob');
      for (const headers of [{ apiKey: bob.key }, {}] as Record<string, string>[]) {
        const refused = await ask(headers);
        assert.ok([401, 404].includes(refused.status), `${refused.status}`);
        assert.equal(refused.headers.get('location'), null);
        assert.doesNotMatch(await refused.text(), /X-Amz/);
      }
    });

    it('signs no URL that outlives the archive', async () => {
      await setExpiry(new Date(Date.now() + 60_000));
      const redirect = await ask({ apiKey: alice.key });
      assert.equal(redirect.status, 302);
      const seconds = Number(new URL(redirect.headers.get('location')!).searchParams.get('X-Amz-Expires'));
      assert.ok(seconds >= 1 && seconds <= 60, `${seconds}`);
    });

    it('answers 410, never a URL, after expiry or once the object is gone', async () => {
      await setExpiry(new Date(Date.now() - 1000));
      const expired = await ask({ apiKey: alice.key });
      assert.equal(expired.status, 410);
      assert.equal(expired.headers.get('location'), null);

      await setExpiry(new Date(Date.now() + 3_600_000));
      assert.equal((await ask({ apiKey: alice.key })).status, 302, 'downloadable again');
      await s3.client().client.send(new DeleteObjectCommand({ Bucket: fakeS3Bucket, Key: `lab/archives/${name}` }));
      const deleted = await ask({ apiKey: alice.key });
      assert.equal(deleted.status, 410);
      assert.equal(deleted.headers.get('location'), null);
    });
  });
});

describe("elnport's own client, downloading through a redirect", () => {
  let s3: FakeS3;
  let bucketSide: Proxy;
  let lab: Lab;
  const credentials = credentialsEnv;

  before(async () => {
    s3 = await startFakeS3();
    // Between everyone and the bucket, to see what reaches it.
    bucketSide = await startProxy(s3.endpoint);
    Object.assign(process.env, credentials);
    lab = await startLab('sqlite', { ...s3.env('client/'), ELNPORT_S3_ENDPOINT: bucketSide.url, ELNPORT_S3_REDIRECT: 'true' });
  });
  after(async () => {
    await lab?.close();
    await bucketSide?.close();
    await s3?.close();
    for (const variable of Object.keys(credentials)) delete process.env[variable];
  });

  it('fetches the archive from the bucket, verified, and never hands the bucket its API key', async () => {
    const alice = await lab.createUser('alice');
    await addWork(lab, alice);
    const client = new ElnClient({ baseUrl: lab.url, apiKey: alice.key });
    const job = await client.waitForJob((await client.startExport({ format: 'xml', scope: 'user' })).id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
    const dest = path.join(tempDir('elnport-redirected-'), 'backup.zip');
    const saved = await client.download(job, dest);
    assert.equal(saved.crc32, job.result.checksum);
    assert.equal(saved.size, job.result.size);
    const fetched = bucketSide.requests.filter((r) => r.method === 'GET' && r.path.includes('X-Amz-Signature'));
    assert.equal(fetched.length, 1, 'the download came from the bucket, by its presigned URL');
    const leaked = bucketSide.requests.filter((r) => 'apikey' in r.headers).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(leaked, [], 'the bucket was sent the API key');
  });
});
