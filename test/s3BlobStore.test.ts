import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { newBlobKey } from '../src/blobs/blobStore.js';
import { S3BlobStore } from '../src/blobs/s3BlobStore.js';
import { openS3Client } from '../src/blobs/s3Objects.js';
import { storesAndGivesBack } from './support/blobStoreContract.js';
import { credentialsEnv, fakeS3Bucket, startFakeS3, type FakeS3 } from './support/s3rver.js';

/**
 * `bytes`, then a pause in which the store sends what it has, then the stream fails: a client
 * that drops its upload half way.
 */
function failingAfter(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new Error('the client went away');
    })(),
  );
}

describe('S3BlobStore (against s3rver)', () => {
  let s3: FakeS3;
  let store: S3BlobStore;
  let recorder: ReturnType<FakeS3['client']>;

  before(async () => {
    s3 = await startFakeS3();
    recorder = s3.client();
    store = new S3BlobStore(recorder.client, s3.settings('lab/'));
  });
  after(() => s3.close());

  async function keys(): Promise<string[]> {
    const listed = await recorder.client.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  storesAndGivesBack(() => store, async (key) => (await keys()).includes(`lab/blobs/${key}`));

  it('streams a blob larger than a part as a multipart upload', async () => {
    const bytes = randomBytes(11 * 1024 * 1024);
    recorder.sent.length = 0;
    const blob = await store.put(Readable.from([bytes]));
    assert.ok(recorder.sent.includes('CompleteMultipartUploadCommand'), recorder.sent.join());
    assert.equal(blob.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.deepEqual(await buffer(await store.open(blob.key, { start: 6_000_000, end: 6_000_009 })), bytes.subarray(6_000_000, 6_000_010));
    await store.delete(blob.key);
  });

  it('leaves nothing when the source fails within the first part', async () => {
    recorder.sent.length = 0;
    await assert.rejects(store.put(failingAfter(randomBytes(100_000))), /the client went away/);
    assert.deepEqual(recorder.sent, [], 'nothing was sent for a part never filled');
    assert.deepEqual(await keys(), []);
  });

  it('aborts the multipart upload when the source fails past the first part', async () => {
    recorder.sent.length = 0;
    await assert.rejects(store.put(failingAfter(randomBytes(7 * 1024 * 1024))), /the client went away/);
    assert.ok(recorder.sent.includes('UploadPartCommand'), recorder.sent.join());
    // s3rver answers AbortMultipartUpload with 405 and lists no uploads, so the abort is checked
    // as sent; a service that implements it (AWS, MinIO) then holds no parts.
    assert.ok(recorder.sent.includes('AbortMultipartUploadCommand'), recorder.sent.join());
    assert.ok(!recorder.sent.includes('CompleteMultipartUploadCommand'), recorder.sent.join());
    assert.deepEqual(await keys(), []);
  });

  it('refuses a key that is not one of its own', async () => {
    await assert.rejects(store.open('../archives/x'), /Not a blob key/);
  });
});

describe('S3BlobStore against a service that takes connections and never answers', () => {
  let silent: net.Server;
  const sockets = new Set<net.Socket>();
  let endpoint: string;
  const credentials = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };

  before(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    // openS3Client takes credentials from the SDK's chain, as the server does.
    Object.assign(process.env, credentialsEnv);
  });
  after(async () => {
    for (const [name, value] of Object.entries(credentials)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('fails a read once the socket has been silent for ELNPORT_S3_TIMEOUT_SECONDS, instead of waiting for ever', { timeout: 20_000 }, async () => {
    let connections = 0;
    silent.on('connection', () => (connections += 1));
    const settings = { endpoint, bucket: fakeS3Bucket, prefix: '', region: 'us-east-1', forcePathStyle: true, redirectSeconds: null, timeoutMs: 300 };
    const store = new S3BlobStore(openS3Client(settings), settings);
    await assert.rejects(store.open(newBlobKey()), (error: Error) => {
      assert.doesNotMatch(error.message, /Not a blob key/);
      return true;
    });
    // The SDK tried again on a new connection before it gave up: a timeout is a retryable failure.
    assert.ok(connections >= 2, `${connections} connection(s)`);
  });
});
