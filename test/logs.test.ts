import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { version } from '../src/version.js';
import { waitForJob } from './support/archives.js';
import { jsonCaller, type Answer, type Call } from './support/http.js';
import { freePort, killAllServers, labLike, serve, type ServerProcess } from './support/process.js';
import { rawRequest } from './support/rawHttp.js';

/**
 * Issue 8, item 11: the log an operator reads. The real server runs as a child process logging at
 * info, and what it writes to stdout is read back line by line.
 */

const sysadminKey = 'logs_test_sysadmin_key_0123456';
const secret = 'secret_in_the_query_0123456789';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Line {
  level: number;
  msg: string;
  [field: string]: any;
}

const info = 30;

describe('the server log', () => {
  let dataDir: string;
  let server: ServerProcess;
  let call: Call;
  let logged = '';
  const keys: string[] = [sysadminKey];

  const lines = (): Line[] =>
    logged.split('\n').flatMap((text) => {
      try {
        const line: unknown = JSON.parse(text);
        return line && typeof line === 'object' && 'msg' in line ? [line as Line] : [];
      } catch {
        return [];
      }
    });
  const withMessage = (msg: string) => lines().filter((line) => line.msg === msg);

  /** The server writes a request's lines as it answers; the pipe may deliver them a moment later. */
  async function loggedAnswerTo(answer: Answer): Promise<void> {
    const reqId = answer.headers.get('x-request-id');
    for (let i = 0; i < 100 && !withMessage('request completed').some((line) => line.reqId === reqId); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function createUser(username: string) {
    const r = await call('POST', '/sysadmin/users', {
      body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
    });
    assert.equal(r.status, 201, r.text);
    keys.push(r.body.apiKey);
    return { username, key: r.body.apiKey as string };
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-logs-'));
    const port = await freePort();
    // One worker, so that a second job waits (and can be cancelled) while the first is built.
    server = await serve({ dataDir, port, sysadminKey, env: { LOG_LEVEL: 'info', ELNPORT_WORKERS: '1', ELNPORT_RATE_LIMIT: '1000000' } });
    // What was written until it answered, then everything after: no chunk is lost in between.
    logged = server.output();
    server.child.stdout?.on('data', (chunk: Buffer) => {
      logged += chunk.toString('utf8');
    });
    call = jsonCaller(server.url, sysadminKey);
  });

  after(async () => {
    await killAllServers();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs each job transition once, requests by their id, no API key, and one listening line', { timeout: 120_000 }, async () => {
    const alice = await createUser('alice');
    const bob = await createUser('bob');
    // Enough for alice's export to still be building while bob's is queued and cancelled.
    const paragraph = '<p>Absorbance read at 600 nm, triplicates averaged, blank subtracted.</p>'.repeat(20);
    let next = 0;
    const documents = 400;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < documents) {
          const r = await call('POST', '/documents', { key: alice.key, body: { name: `Reading ${next++}`, fields: [{ content: paragraph }] } });
          assert.equal(r.status, 201, r.text);
        }
      }),
    );

    const queued = await call('POST', '/export/html/user', { key: alice.key, headers: { 'x-request-id': 'queue-alice:1' } });
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.headers.get('x-request-id'), 'queue-alice:1');
    const waiting = await call('POST', '/export/xml/user', { key: bob.key });
    assert.equal(waiting.status, 202, waiting.text);
    const cancel = await call('DELETE', `/jobs/${waiting.body.id}`, { key: bob.key });
    assert.equal(cancel.status, 204, cancel.text);
    const completed = await waitForJob(labLike(server.url, call), alice.key, queued.body.id);
    assert.equal(completed.status, 'COMPLETED');
    const abandoned = await call('GET', `/jobs/${waiting.body.id}`, { key: bob.key });
    assert.equal(abandoned.body.status, 'ABANDONED', 'cancelled while it waited (make alice\'s export bigger)');

    for (const name of ['apiKey', 'API_KEY', 'api-key']) {
      const r = await call('GET', `/status?${name}=${secret}&x=1`, { key: null });
      assert.equal(r.status, 200, r.text);
    }
    const notFound = await call('GET', '/no/such/route');
    const unauthenticated = await call('GET', '/userDetails/whoami', { key: null });
    const insane = await call('GET', '/status', { key: null, headers: { 'x-request-id': 'two words\u00e9' } });
    const tooLong = await call('GET', '/status', { key: null, headers: { 'x-request-id': 'a'.repeat(129) } });
    assert.deepEqual([notFound.status, unauthenticated.status, insane.status, tooLong.status], [404, 401, 200, 200]);
    for (const answer of [notFound, unauthenticated, insane, tooLong, waiting]) assert.match(answer.headers.get('x-request-id') ?? '', uuid);
    const given = await call('GET', '/no/such/route', { headers: { 'x-request-id': 'proxy-7.a_b' } });
    assert.equal(given.headers.get('x-request-id'), 'proxy-7.a_b', 'kept on a refusal too');
    // Refused by Fastify's router, by Node's parser, and by Node's Expect check: each still has an id.
    const badUrl = await call('GET', `/%FF?apiKey=${secret}`, { headers: { 'x-request-id': 'bad-url' } });
    assert.equal(badUrl.status, 400, badUrl.text);
    assert.equal(badUrl.headers.get('x-request-id'), 'bad-url');
    const unparsable = await rawRequest(server.url, 'NOT HTTP\r\n\r\n');
    assert.equal(unparsable.status, 400, unparsable.raw);
    assert.match(unparsable.headers.get('x-request-id') ?? '', uuid);
    const expecting = await rawRequest(server.url, 'GET /api/v1/status HTTP/1.1\r\nHost: x\r\nExpect: x\r\nx-request-id: expect-1\r\nConnection: close\r\n\r\n');
    assert.equal(expecting.status, 417, expecting.raw);
    assert.equal(expecting.headers.get('x-request-id'), 'expect-1');
    await loggedAnswerTo(given);

    const jobLines = (msg: string, jobId: number) => withMessage(msg).filter((line) => line.jobId === jobId);
    const [queuedLine, ...moreQueued] = jobLines('export job queued', queued.body.id);
    assert.equal(moreQueued.length, 0);
    assert.deepEqual({ ...queuedLine, time: 0, pid: 0, hostname: '' }, {
      level: info,
      time: 0,
      pid: 0,
      hostname: '',
      msg: 'export job queued',
      jobId: queued.body.id,
      user: 'alice',
      format: 'html',
      scope: 'user',
      reqId: 'queue-alice:1',
    });
    assert.equal(jobLines('export job queued', waiting.body.id)[0]?.reqId, waiting.headers.get('x-request-id'));

    const started = jobLines('export job started', queued.body.id);
    assert.equal(started.length, 1);
    assert.equal(started[0]!.attempt, 1);
    const [done, ...moreDone] = jobLines('export job completed', queued.body.id);
    assert.equal(moreDone.length, 0);
    assert.equal(done!.level, info);
    assert.equal(done!.bytes, completed.result.size);
    assert.ok(Number.isInteger(done!.durationMs) && done!.durationMs >= 0, JSON.stringify(done));
    // The documents and the folders that hold them.
    assert.ok(done!.records > documents, JSON.stringify(done));
    assert.equal(done!.skipped, 0);

    const cancelled = jobLines('export job cancelled', waiting.body.id);
    assert.equal(cancelled.length, 1);
    assert.equal(cancelled[0]!.level, info);
    assert.deepEqual(jobLines('export job started', waiting.body.id), [], 'it never ran');
    assert.deepEqual(withMessage('export job failed'), []);

    const urls = withMessage('incoming request').map((line) => line.req.url as string);
    assert.ok(urls.includes(`/api/v1/status?apiKey=[REDACTED]&x=1`), urls.join('\n'));
    assert.ok(urls.includes(`/api/v1/status?API_KEY=[REDACTED]&x=1`));
    assert.ok(urls.includes(`/api/v1/status?api-key=[REDACTED]&x=1`));
    assert.ok(withMessage('incoming request').some((line) => line.reqId === 'proxy-7.a_b'));
    for (const key of [secret, ...keys]) assert.ok(!logged.includes(key), `${key} is in the log`);
    assert.ok(!/two words/.test(logged), 'a refused request id is not logged');

    const listening = lines().filter((line) => /listening/i.test(line.msg));
    assert.deepEqual(listening.map((line) => line.msg), [`elnport ${version} listening on ${server.url}`]);
  });
});
