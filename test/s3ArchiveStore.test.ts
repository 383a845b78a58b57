import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ArchiveStore } from '../src/blobs/s3ArchiveStore.js';
import { fakeS3Bucket, fakeS3Credentials, startFakeS3, type FakeS3 } from './support/s3rver.js';

const name = (n: number) => `RSpace-2026-12-06-22-10-html-user-u${n}-0123456789abcdef.zip`;

describe('S3ArchiveStore (against s3rver)', () => {
  let s3: FakeS3;
  let store: S3ArchiveStore;
  let recorder: ReturnType<FakeS3['client']>;

  before(async () => {
    s3 = await startFakeS3();
    recorder = s3.client();
    store = new S3ArchiveStore(recorder.client, s3.settings('lab/'));
  });
  after(() => s3.close());

  async function keys(): Promise<string[]> {
    const listed = await recorder.client.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  }

  it('keeps a draft out of sight until commit, then serves it whole and in part', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 123);
    const draft = store.draft(7, name(7));
    await pipeline(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), draft.output);
    assert.equal(await store.size(name(7)), null, 'not visible before commit');
    await draft.commit();
    assert.deepEqual(await keys(), [`lab/archives/${name(7)}`], 'the draft object is gone');
    assert.equal(await store.size(name(7)), bytes.length);
    assert.deepEqual(await buffer(await store.open(name(7))), bytes);
    assert.deepEqual(await buffer(await store.open(name(7), { start: 5, end: 14 })), bytes.subarray(5, 15));
    await store.delete(name(7));
    assert.equal(await store.size(name(7)), null);
    await assert.rejects(store.open(name(7)), { code: 'ENOENT' });
  });

  it('leaves nothing after a discard, a written draft or a failed write', async () => {
    const written = store.draft(8, name(8));
    await pipeline(Readable.from([randomBytes(10_000)]), written.output);
    await written.discard();
    await written.discard();

    recorder.sent.length = 0;
    const failed = store.draft(9, name(9));
    const writing = pipeline(
      Readable.from(
        (async function* () {
          yield randomBytes(6 * 1024 * 1024);
          await new Promise((resolve) => setTimeout(resolve, 300));
          throw new Error('the build failed');
        })(),
      ),
      failed.output,
    );
    await assert.rejects(writing, /the build failed/);
    await failed.discard();
    assert.deepEqual(await keys(), []);
    assert.equal(await store.size(name(9)), null);
    // s3rver neither aborts nor lists multipart uploads (405, NotImplemented): the abort is checked as sent.
    assert.ok(recorder.sent.includes('UploadPartCommand'), recorder.sent.join());
    assert.ok(recorder.sent.includes('AbortMultipartUploadCommand'), recorder.sent.join());
    assert.ok(!recorder.sent.includes('CompleteMultipartUploadCommand'), recorder.sent.join());
  });

  it('resolves a discard only once the multipart upload is aborted, after the parts in flight', async () => {
    // Parts held back before they are sent, so that the discard comes while two are in flight.
    const started: string[] = [];
    const settled: string[] = [];
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: fakeS3Credentials });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName as string;
        started.push(command);
        try {
          if (command === 'UploadPartCommand') await new Promise((resolve) => setTimeout(resolve, 300));
          return await next(args);
        } finally {
          settled.push(command);
        }
      },
      { step: 'initialize' },
    );
    const slow = new S3ArchiveStore(client, s3.settings('lab/'));
    const draft = slow.draft(10, name(10));
    draft.output.write(randomBytes(11 * 1024 * 1024));
    for (const deadline = Date.now() + 10_000; started.filter((command) => command === 'UploadPartCommand').length < 2; ) {
      assert.ok(Date.now() < deadline, `two parts never started: ${started.join()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await draft.discard();
    // s3rver answers AbortMultipartUpload with 405 and keeps the parts (so uploadsOnDisk() cannot
    // show the abort): what is checked is that it was answered before discard resolved, last.
    assert.deepEqual(settled.filter((command) => command !== 'DeleteObjectCommand').slice(-3), [
      'UploadPartCommand',
      'UploadPartCommand',
      'AbortMultipartUploadCommand',
    ]);
    assert.deepEqual(started.filter((command) => command === 'UploadPartCommand').length, 2, 'no part sent after the discard');
    assert.deepEqual(await keys(), []);
    client.destroy();
  });

  it('sends nothing for a draft discarded before its first part is whole', async () => {
    recorder.sent.length = 0;
    const draft = store.draft(12, name(12));
    draft.output.write(randomBytes(1000));
    await draft.discard();
    assert.deepEqual(recorder.sent, ['DeleteObjectCommand']);
  });

  it('lists an unfinished draft for the sweeper, with its job, and removes it', async () => {
    const draft = store.draft(11, name(11));
    draft.output.end(randomBytes(1000));
    // An upload that completed but was never committed: what a process that died at commit leaves.
    let drafts = await store.drafts();
    for (const deadline = Date.now() + 5_000; drafts.length === 0 && Date.now() < deadline; drafts = await store.drafts()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(drafts.length, 1, JSON.stringify(drafts));
    assert.equal(drafts[0]!.jobId, 11);
    await store.removeDraft(drafts[0]!.file);
    assert.deepEqual(await store.drafts(), []);
    assert.deepEqual(await keys(), []);
    await assert.rejects(store.removeDraft('../archives/x'), /Not a draft/);
  });

  it('lists only drafts of its own: a folder marker or a stranger\'s key under drafts/ is left alone', async () => {
    for (const key of ['lab/drafts/', 'lab/drafts/notes.txt']) {
      await recorder.client.send(new PutObjectCommand({ Bucket: fakeS3Bucket, Key: key, Body: 'x' }));
    }
    assert.deepEqual(await store.drafts(), []);
    assert.equal((await keys()).length, 2, 'and nothing of them removed');
  });
});
