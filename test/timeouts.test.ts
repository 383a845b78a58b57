import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { contentCounts } from './support/counts.js';
import { expectError, forEachDatabase, useLab, type Account, type Lab } from './support/lab.js';
import { parseAnswer, rawConnection, type RawAnswer } from './support/rawHttp.js';

/**
 * Issue 7, item 2: 300 connections trickling a body at 1 byte every 5 s were all still open after
 * 150 s. Here the deadlines are short (headers 1 s, idle 3 s, the whole request 8 s) so that a
 * trickle is cut quickly, while a steady upload that takes longer than the header and idle
 * deadlines, but well within the request's, still gets through.
 */
const env = {
  ELNPORT_HEADERS_TIMEOUT_SECONDS: '1',
  ELNPORT_IDLE_TIMEOUT_SECONDS: '3',
  ELNPORT_REQUEST_TIMEOUT_SECONDS: '8',
  ELNPORT_RATE_LIMIT: '100000',
};

/**
 * Sends `head` at once, then `body` a piece every `everyMs` until the server closes the
 * connection, and returns its answer. With `stallAfter`, stops sending after that many bytes.
 */
async function trickle(lab: Lab, head: string, body: Buffer, options: { piece: number; everyMs: number; stallAfter?: number }): Promise<RawAnswer> {
  const { socket, closed } = rawConnection(lab.url);
  let open = true;
  void closed.then(() => (open = false));
  socket.write(head);
  const end = Math.min(body.length, options.stallAfter ?? body.length);
  for (let at = 0; open && at < end; at += options.piece) {
    await sleep(options.everyMs);
    if (open) socket.write(body.subarray(at, Math.min(end, at + options.piece)));
  }
  return parseAnswer(await closed);
}

function multipart(fileName: string, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----elnport${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('request deadline settings', () => {
  const timeoutsOf = (env: Record<string, string>) => loadConfig({ ELNPORT_DATA_DIR: '/tmp/unused', ...env }).timeouts;

  it('give the largest upload the time it takes at 64 KiB/s, and follow the upload limit', () => {
    assert.deepEqual(timeoutsOf({}), { headersMs: 30_000, requestMs: 1_600_000, idleMs: 120_000, keepAliveMs: 72_000 });
    assert.equal(timeoutsOf({ ELNPORT_MAX_UPLOAD_MB: '1000' }).requestMs, 16_000_000);
    assert.equal(timeoutsOf({ ELNPORT_MAX_UPLOAD_MB: '0.5' }).headersMs, 8_000);
  });

  it('take fractions of a second, and refuse a header deadline past the request deadline', () => {
    assert.deepEqual(timeoutsOf({ ELNPORT_REQUEST_TIMEOUT_SECONDS: '2.5', ELNPORT_HEADERS_TIMEOUT_SECONDS: '0.5', ELNPORT_IDLE_TIMEOUT_SECONDS: '1' }), {
      headersMs: 500,
      requestMs: 2500,
      idleMs: 1000,
      keepAliveMs: 72_000,
    });
    assert.throws(() => timeoutsOf({ ELNPORT_REQUEST_TIMEOUT_SECONDS: '10', ELNPORT_HEADERS_TIMEOUT_SECONDS: '11' }), /must not be more than/);
    assert.throws(() => timeoutsOf({ ELNPORT_IDLE_TIMEOUT_SECONDS: '0' }), /positive number/);
  });
});

// Without deadlines a trickle goes on for minutes; the tests give up on it long before.
forEachDatabase((kind) => {
  describe('request deadlines', () => {
    const lab = useLab(kind, env);
    let alice: Account;

    before(async () => {
      alice = await lab().createUser('alice');
    });

    const head = (path: string, contentType: string, length: number) =>
      `POST /api/v1${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\napiKey: ${alice.key}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n`;

    /** The lab's figures once the refused request's clean-up is done (it runs after the answer). */
    async function settlesAt(expected: Record<string, number>): Promise<void> {
      let counts = await contentCounts(lab());
      for (let tries = 0; tries < 100 && JSON.stringify(counts) !== JSON.stringify(expected); tries++) {
        await sleep(50);
        counts = await contentCounts(lab());
      }
      assert.deepEqual(counts, expected);
    }

    it('cuts a JSON body trickled a byte at a time with 408 in the error shape, and creates nothing', { timeout: 60_000 }, async () => {
      const before = await contentCounts(lab());
      const body = Buffer.from(JSON.stringify({ name: 'Trickled'.padEnd(400, '.') }));
      const answer = await trickle(lab(), head('/folders', 'application/json', body.length), body, { piece: 1, everyMs: 250 });
      expectError(answer, 408, 40801);
      assert.equal(answer.headers.get('connection'), 'close');
      await settlesAt(before);
    });

    it('cuts a trickled upload with 408 and leaves no file and no blob behind', { timeout: 60_000 }, async () => {
      const before = await contentCounts(lab());
      const { body, contentType } = multipart('slow.bin', randomBytes(64 * 1024));
      // The first 1 KiB at once, so the upload is already streaming into the blob store.
      const answer = await trickle(lab(), head('/files', contentType, body.length) + body.subarray(0, 1024).toString('latin1'), body.subarray(1024), {
        piece: 1,
        everyMs: 250,
      });
      expectError(answer, 408, 40801);
      await settlesAt(before);
    });

    it('cuts headers trickled a byte at a time with 408', { timeout: 60_000 }, async () => {
      const headers = Buffer.from(`X-Padding: ${'a'.repeat(200)}\r\n\r\n`);
      const answer = await trickle(lab(), 'GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\n', headers, { piece: 1, everyMs: 250 });
      expectError(answer, 408, 40801);
    });

    it('answers 408 to a client that stops sending its body', { timeout: 60_000 }, async () => {
      const before = await contentCounts(lab());
      const body = Buffer.from(JSON.stringify({ name: 'Stalled' }));
      const answer = await trickle(lab(), head('/folders', 'application/json', body.length), body, { piece: 4, everyMs: 10, stallAfter: 8 });
      const error = expectError(answer, 408, 40801);
      assert.match(error.message, /Nothing of the request arrived for 3 s/);
      await settlesAt(before);
    });

    it('lets a steady upload through that takes longer than the header and idle deadlines', async () => {
      const bytes = randomBytes(512 * 1024);
      const { body, contentType } = multipart('steady.bin', bytes);
      const started = Date.now();
      // 32 pieces of 16 KiB, one every 100 ms: about 3.2 s, within the request's 8 s.
      const answer = await trickle(lab(), head('/files', contentType, body.length), body, { piece: 16 * 1024, everyMs: 100 });
      const took = Date.now() - started;
      assert.equal(answer.status, 201, answer.raw.slice(0, 500));
      assert.ok(took > 3000, `the upload took ${took} ms, not longer than the idle deadline`);
      const download = await fetch(`${lab().url}/api/v1/files/${answer.body.id}/file`, { headers: { apiKey: alice.key } });
      assert.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(bytes));
    });
  });
});
