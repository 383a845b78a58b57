import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { ClientError, ElnClient, type Job } from '../src/client/index.js';
import { checkZip } from './support/archives.js';
import { useLab, type Account } from './support/lab.js';
import { addWork, loseAttachment } from './support/labWork.js';
import { startProxy, type Proxy, type SeenRequest } from './support/proxy.js';
import { tempDir } from './support/tempDirs.js';

/** The client against the real server; the proxy stands for the network between them. */

const freshDir = (): string => tempDir('elnport-client-');

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClientError, `not a ClientError: ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** The file on disk, checked by reading it again: size and CRC32 as the job announced, and a readable zip. */
function assertVerified(file: string, job: Job): void {
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.length, job.result.size);
  assert.equal(String(zlib.crc32(bytes)), job.result.checksum);
  checkZip(file);
  assert.ok(!fs.existsSync(`${file}.part`), 'no part file left');
}

const isDownload = (r: SeenRequest) => r.method === 'GET' && r.path.startsWith('/api/v1/export/');

describe('the export client', () => {
  const lab = useLab('sqlite');
  let alice: Account;
  let proxy: Proxy;

  before(async () => {
    alice = await lab().createUser('alice');
    await addWork(lab(), alice);
    proxy = await startProxy(lab().url);
  });

  after(async () => {
    await proxy?.close();
  });

  /** An export through the proxy, so that the job's links (and so the download) go through it too. */
  async function exportThroughProxy(): Promise<{ client: ElnClient; job: Job }> {
    proxy.rule = () => undefined;
    const client = new ElnClient({ baseUrl: proxy.url, apiKey: alice.key });
    const job = await client.waitForJob((await client.startExport({ format: 'html', scope: 'user' })).id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
    return { client, job };
  }

  it('runs a whole export: start, wait, download to a verified file', async () => {
    const client = new ElnClient({ baseUrl: `${lab().url}/`, apiKey: alice.key });
    const me = await client.whoami();
    assert.equal(me.username, 'alice');
    const started = await client.startExport({ format: 'xml', scope: 'user', includeRevisionHistory: true, maxLinkLevel: 0 });
    assert.equal(started.status, 'STARTING');
    assert.ok(started.retryAfterSeconds! >= 1, 'the Retry-After of the 202');
    const seen: Job[] = [];
    const job = await client.waitForJob(started.id, { timeoutMs: 60_000, onUpdate: (j) => seen.push(j) });
    assert.equal(job.status, 'COMPLETED');
    assert.equal(seen.at(-1), job);
    assert.ok(seen.every((j, i) => i === 0 || j.percentComplete >= seen[i - 1]!.percentComplete));

    const dest = path.join(freshDir(), 'backup.zip');
    const progress: [number, number][] = [];
    const saved = await client.download(job, dest, { onProgress: (received, total) => progress.push([received, total]) });
    assert.deepEqual(saved, { path: dest, size: job.result.size, crc32: job.result.checksum, sha256: job.result.sha256 });
    assertVerified(dest, job);
    assert.deepEqual(progress.at(-1), [job.result.size, job.result.size]);
    assert.ok(progress.length > 1, 'progress is reported as bytes pass');

    const listed = await client.listJobs(0, 5);
    assert.ok(listed.totalHits >= 1);
    assert.equal(listed.jobs[0]!.id, job.id);
    assert.equal(listed.jobs[0]!.result.checksum, job.result.checksum);
  });

  it('resumes a download broken off half way with a Range request', async () => {
    const { client, job } = await exportThroughProxy();
    const half = Math.floor(job.result.size / 2);
    let cut = false;
    proxy.rule = (r) => {
      if (!isDownload(r) || cut) return undefined;
      cut = true;
      return { cutAfter: half };
    };
    const before = proxy.requests.length;
    const dest = path.join(freshDir(), 'resumed.zip');
    const saved = await client.download(job, dest);
    assert.equal(saved.crc32, job.result.checksum);
    assertVerified(dest, job);

    const downloads = proxy.requests.slice(before).filter(isDownload);
    assert.equal(downloads.length, 2, 'one broken request, one that resumed');
    assert.equal(downloads[0]!.headers.range, undefined);
    // Bytes the proxy sent just before the cut may still be in flight when the connection breaks:
    // the client resumes after what it actually stored, which is at most where the cut came.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(downloads[1]!.headers.range ?? '')?.[1] ?? NaN);
    assert.ok(resumedAt > 0 && resumedAt <= half, `resumed at ${resumedAt}, after what was received and no later than the cut at ${half}`);
    assert.equal(downloads[1]!.headers['if-range'], downloads[0]!.responseHeaders!.etag);
    assert.equal(downloads[1]!.status, 206);
  });

  it('restarts from zero when the server ignores Range', async () => {
    const { client, job } = await exportThroughProxy();
    let cut = false;
    proxy.rule = (r) => {
      if (!isDownload(r)) return undefined;
      const tamper = { dropRequestHeaders: ['range', 'if-range'], ...(cut ? {} : { cutAfter: Math.floor(job.result.size / 2) }) };
      cut = true;
      return tamper;
    };
    const before = proxy.requests.length;
    const dest = path.join(freshDir(), 'restarted.zip');
    await client.download(job, dest);
    // Verified although the whole file came again: the first half was thrown away, not kept in front of it.
    assertVerified(dest, job);
    const downloads = proxy.requests.slice(before).filter(isDownload);
    assert.equal(downloads.length, 2);
    assert.match(downloads[1]!.headers.range ?? '', /^bytes=\d+-$/, 'the client asked to resume');
    assert.equal(downloads[1]!.status, 200, 'and got the whole file');
  });

  it('restarts from zero, without asking for a Range, from a server that sends no Accept-Ranges (as RSpace)', async () => {
    const { client, job } = await exportThroughProxy();
    let cut = false;
    proxy.rule = (r) => {
      if (!isDownload(r)) return undefined;
      const tamper = { dropResponseHeaders: ['accept-ranges'], ...(cut ? {} : { cutAfter: Math.floor(job.result.size / 2) }) };
      cut = true;
      return tamper;
    };
    const before = proxy.requests.length;
    const dest = path.join(freshDir(), 'rspace-like.zip');
    await client.download(job, dest);
    assertVerified(dest, job);
    const downloads = proxy.requests.slice(before).filter(isDownload);
    assert.equal(downloads.length, 2);
    assert.equal(downloads[1]!.headers.range, undefined);
    assert.equal(downloads[1]!.status, 200);
  });

  it('gives up after its retries when the connection keeps breaking, leaving nothing behind', async () => {
    const { client, job } = await exportThroughProxy();
    proxy.rule = (r) => (isDownload(r) ? { cutAfter: 1000 } : undefined);
    const before = proxy.requests.length;
    const dir = freshDir();
    const error = await rejection(client.download(job, path.join(dir, 'never.zip'), { retries: 1 }));
    assert.equal(error.kind, 'network');
    assert.equal(proxy.requests.slice(before).filter(isDownload).length, 2, 'the first try and one retry');
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('refuses a corrupted download: a verification error, nothing at dest and no part file', async () => {
    const { client, job } = await exportThroughProxy();
    proxy.rule = (r) => (isDownload(r) ? { flipAt: Math.floor(job.result.size / 3) } : undefined);
    const dir = freshDir();
    const dest = path.join(dir, 'corrupt.zip');
    const error = await rejection(client.download(job, dest));
    assert.equal(error.kind, 'verification');
    assert.match(error.message, /CRC32/);
    assert.ok(!fs.existsSync(dest));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('ends waiting with FAILED and the server\'s message when the export fails', async () => {
    const carol = await lab().createUser('carol');
    await loseAttachment(lab(), carol);
    const client = new ElnClient({ baseUrl: lab().url, apiKey: carol.key });
    const job = await client.waitForJob((await client.startExport({ format: 'html', scope: 'user' })).id, { timeoutMs: 60_000 });
    assert.equal(job.status, 'FAILED');
    assert.match(job.result.message, /lost\.bin.*missing/);
    const error = await rejection(client.download(job, path.join(freshDir(), 'failed.zip')));
    assert.equal(error.kind, 'usage');
  });

  it('reports a wrong key as an auth error carrying the server\'s error body', async () => {
    const client = new ElnClient({ baseUrl: lab().url, apiKey: 'not_a_real_key_0123456789' });
    for (const call of [client.whoami(), client.startExport({ format: 'html', scope: 'user' })]) {
      const error = await rejection(call);
      assert.equal(error.kind, 'auth');
      assert.equal(error.status, 401);
      assert.equal((error.body as { internalCode: number }).internalCode, 40101);
    }
  });

  it('reports a refused export, an unknown job and a bad selection in the right kinds', async () => {
    const client = new ElnClient({ baseUrl: lab().url, apiKey: alice.key });
    const refused = await rejection(client.startExport({ format: 'html', scope: 'user', id: 1 }));
    assert.equal(refused.kind, 'auth', 'RSpace answers 401 to a refused export');
    assert.match(refused.message, /Unauthorized attempt by alice/);
    const unknown = await rejection(client.getJob(987654));
    assert.equal(unknown.kind, 'not-found');
    assert.equal(unknown.status, 404);
    const empty = await rejection(client.startExport({ format: 'html', scope: 'selection', selections: [] }));
    assert.equal(empty.kind, 'usage');
    assert.equal(empty.status, null, 'refused before asking the server');
    const stray = await rejection(client.startExport({ format: 'html', scope: 'user', selections: [1] }));
    assert.equal(stray.kind, 'usage');
  });

  it('reports a server that is not there as a network error', async () => {
    const gone = await startProxy(lab().url);
    await gone.close();
    const error = await rejection(new ElnClient({ baseUrl: gone.url, apiKey: alice.key }).whoami());
    assert.equal(error.kind, 'network');
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('reads, lists and changes documents', async () => {
    const client = new ElnClient({ baseUrl: lab().url, apiKey: alice.key });
    const page = await client.listDocuments('Plate', 0, 10);
    assert.equal(page.totalHits, 1);
    const id = page.documents[0]!.id;
    const doc = await client.getDocument(id);
    assert.equal(doc.name, 'Plate reads');
    const changed = await client.updateDocument(id, { name: 'Plate reads, checked', fields: [{ id: doc.fields[0]!.id, content: '<p>checked</p>' }] });
    assert.equal(changed.version, doc.version + 1);
    assert.equal((await client.getDocument(id)).fields[0]!.content, '<p>checked</p>');
  });
});

describe('waiting for a job', () => {
  // No worker: jobs stay STARTING, so only the polling is seen.
  const lab = useLab('sqlite', { ELNPORT_WORKERS: '0' });
  let proxy: Proxy;
  let users = 0;

  before(async () => {
    proxy = await startProxy(lab().url);
  });

  after(async () => {
    await proxy?.close();
  });

  /** A client (through the proxy) whose every fetch is timed, and a job of its own that will not finish. */
  async function waitingJob(): Promise<{ client: ElnClient; direct: ElnClient; job: Job; polls: number[] }> {
    const who = await lab().createUser(`waiter${++users}`);
    const polls: number[] = [];
    const timed: typeof fetch = (input, init) => {
      if (String(input).includes('/jobs/')) polls.push(performance.now());
      return fetch(input, init);
    };
    const client = new ElnClient({ baseUrl: proxy.url, apiKey: who.key, fetch: timed });
    const direct = new ElnClient({ baseUrl: lab().url, apiKey: who.key });
    return { client, direct, job: await direct.startExport({ format: 'html', scope: 'user' }), polls };
  }

  const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

  it('follows the server\'s Retry-After', async () => {
    const { client, job, polls } = await waitingJob();
    proxy.rule = () => ({ setResponseHeaders: { 'Retry-After': '2' } });
    const error = await rejection(client.waitForJob(job.id, { timeoutMs: 5_000 }));
    assert.equal(error.kind, 'timeout');
    assert.ok(polls.length >= 2, `${polls.length} polls`);
    for (const gap of gaps(polls)) assert.ok(gap >= 2000, `polled again after ${gap.toFixed(0)} ms, not the 2 s asked`);
  });

  it('never polls more than once a second, even when told Retry-After: 0', async () => {
    const { client, job, polls } = await waitingJob();
    proxy.rule = () => ({ setResponseHeaders: { 'Retry-After': '0' } });
    await rejection(client.waitForJob(job.id, { timeoutMs: 3_500 }));
    assert.ok(polls.length >= 3, `${polls.length} polls`);
    for (const gap of gaps(polls)) assert.ok(gap >= 1000, `polled again after ${gap.toFixed(3)} ms`);
  });

  it('backs off from 1 s without Retry-After (as RSpace), and times out on time', async () => {
    const { client, job, polls } = await waitingJob();
    proxy.rule = () => ({ dropResponseHeaders: ['retry-after'] });
    const seen: Job[] = [];
    const started = performance.now();
    const error = await rejection(client.waitForJob(job.id, { timeoutMs: 6_000, onUpdate: (j) => seen.push(j) }));
    const elapsed = performance.now() - started;
    assert.equal(error.kind, 'timeout');
    assert.ok(elapsed >= 6_000 && elapsed < 7_000, `timed out after ${elapsed.toFixed(0)} ms`);
    assert.ok(seen.every((j) => j.retryAfterSeconds === undefined));
    // 1 s, 1.5 s, 2.25 s: polls at 0, 1, 2.5 and 4.75 s.
    const waited = gaps(polls);
    assert.equal(waited.length, 3, `gaps ${waited.map((g) => g.toFixed(0)).join(', ')}`);
    waited.forEach((gap, i) => assert.ok(gap >= 1000 * 1.5 ** i, `gap ${i}: ${gap.toFixed(0)} ms`));
  });

  it('rides out polls that fail on the network, and ends with ABANDONED when the job is cancelled', async () => {
    const { client, direct, job, polls } = await waitingJob();
    let refused = 0;
    proxy.rule = (r) => (r.path.startsWith('/api/v1/jobs/') && refused++ < 2 ? { refuse: true } : undefined);
    const updates: Job[] = [];
    const ended = await client.waitForJob(job.id, {
      timeoutMs: 30_000,
      onUpdate: (j) => {
        updates.push(j);
        if (updates.length === 1) void direct.cancelJob(job.id);
      },
    });
    assert.equal(ended.status, 'ABANDONED');
    assert.equal(refused, 4, 'two refused polls, then two that were answered');
    assert.equal(polls.length, 4);
    assert.equal(updates.length, 2);
  });

  it('stops at once when its signal is aborted', async () => {
    const { client, direct, job } = await waitingJob();
    proxy.rule = () => undefined;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop waiting')), 300);
    const started = performance.now();
    await assert.rejects(client.waitForJob(job.id, { signal: controller.signal }), /stop waiting/);
    assert.ok(performance.now() - started < 1000);
    await direct.cancelJob(job.id);
    assert.equal((await direct.getJob(job.id)).status, 'ABANDONED');
  });
});
