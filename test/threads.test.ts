import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { contentAtLimit } from './support/contentAtLimit.js';
import { forEachDatabase, useLab } from './support/lab.js';
import { closeThreads, inlineBelow, runTask } from '../src/threads/pool.js';

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
