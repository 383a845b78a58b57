import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sessionTokenHash } from '../src/domain/sessions.js';
import { startServer } from '../src/server.js';
import { createCast, expectError, forEachDatabase, sweepOnce, useLab, type Answer, type Lab } from './support/lab.js';

/**
 * Sign-in sessions of the exports page (issue 12): a cookie that stands for an API key, kept in
 * the database, with a CSRF token that every change made with it must carry.
 */

/**
 * A request as a browser would make it: with the cookie and no key. `from` is the local address
 * it leaves from (any of 127/8 reaches the server), which the sign-in limit counts by.
 */
function request(
  lab: { url: string },
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; body?: unknown; from?: string; key?: string } = {},
): Promise<Answer> {
  const url = new URL(`${lab.url}/api/v1${path}`);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  if (options.key) headers.apiKey = options.key;
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress: options.from ?? '127.0.0.1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const answered = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) answered.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve({ status: res.statusCode!, headers: answered, body: text ? JSON.parse(text) : null, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `name=value` of the session cookie a response set, and its attributes. */
function sessionCookieOf(answer: Answer): { pair: string; attributes: string[] } {
  const set = answer.headers.getSetCookie().find((c) => c.startsWith('elnport_session='));
  assert.ok(set, `no session cookie set: ${JSON.stringify(answer.headers.getSetCookie())}`);
  const [pair, ...attributes] = set.split(';').map((p) => p.trim());
  return { pair: pair!, attributes: attributes.map((a) => a.toLowerCase()) };
}

let signIns = 0;

/** Each from an address of its own, so that the sign-in limit per address is not what a test meets. */
async function signIn(lab: Lab, username: string, password = 'password123'): Promise<{ cookie: string; csrf: string; body: any }> {
  signIns += 1;
  const answer = await request(lab, 'POST', '/session', { body: { username, password }, from: `127.0.3.${signIns}` });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return { cookie: sessionCookieOf(answer).pair, csrf: answer.body.csrfToken, body: answer.body };
}

forEachDatabase((kind) => {
  describe('sign-in sessions', () => {
    const lab = useLab(kind);
    let cast: Awaited<ReturnType<typeof createCast>>;

    it('signs in with a password: an HttpOnly, SameSite=Strict cookie that stands for the user, and a CSRF token', async () => {
      cast = await createCast(lab());
      const answer = await request(lab(), 'POST', '/session', { body: { username: 'alice', password: 'password123' }, from: '127.0.0.4' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const { pair, attributes } = sessionCookieOf(answer);
      assert.ok(attributes.includes('httponly'));
      assert.ok(attributes.includes('samesite=strict'));
      assert.ok(attributes.includes('path=/'));
      // Plain HTTP on loopback: a Secure cookie would never come back.
      assert.ok(!attributes.includes('secure'));
      const expires = Date.parse(attributes.find((a) => a.startsWith('expires='))!.slice('expires='.length));
      assert.ok(Math.abs(expires - Date.parse(answer.body.expiresAt)) < 1000, 'the cookie lasts as long as the session');
      assert.ok(Date.parse(answer.body.expiresAt) - Date.now() > 11 * 3_600_000, 'twelve hours by default');
      assert.equal(answer.body.user.username, 'alice');
      assert.equal(answer.body.user.role, 'ROLE_USER');
      assert.match(answer.body.csrfToken, /^[A-Za-z0-9_-]{43}$/);

      const whoami = await request(lab(), 'GET', '/userDetails/whoami', { cookie: pair });
      assert.equal(whoami.status, 200);
      assert.equal(whoami.body.id, cast.alice.id);
      const again = await request(lab(), 'GET', '/session', { cookie: pair });
      assert.equal(again.status, 200);
      assert.equal(again.body.csrfToken, answer.body.csrfToken);
      assert.equal(again.body.user.id, cast.alice.id);
    });

    it('keeps only a hash of the token: the database alone opens no session', async () => {
      const { cookie } = await signIn(lab(), 'bob');
      const token = cookie.split('=')[1]!;
      const rows = await lab().server.store.db.selectFrom('sessions').select(['token_hash', 'user_id']).where('user_id', '=', cast.bob.id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, sessionTokenHash(token));
      assert.notEqual(rows[0]!.token_hash, token);
      expectError(await request(lab(), 'GET', '/session', { cookie: `elnport_session=${rows[0]!.token_hash}` }), 401, 40101);
    });

    it('refuses a wrong password and an unknown user alike, and a malformed or unknown cookie', async () => {
      const wrong = expectError(await request(lab(), 'POST', '/session', { body: { username: 'pat', password: 'not-it-at-all' }, from: '127.0.0.5' }), 401, 40101);
      const unknown = expectError(await request(lab(), 'POST', '/session', { body: { username: 'nobody', password: 'password123' }, from: '127.0.0.5' }), 401, 40101);
      assert.equal(wrong.message, 'Wrong username or password');
      assert.equal(unknown.message, wrong.message);
      expectError(await request(lab(), 'GET', '/userDetails/whoami', { cookie: 'elnport_session=not-a-token' }), 401, 40101);
      expectError(await request(lab(), 'GET', '/userDetails/whoami', { cookie: `elnport_session=${'A'.repeat(43)}` }), 401, 40101);
      const both = expectError(await request(lab(), 'POST', '/session', { body: { username: 'pat', password: 'x', apiKey: cast.pi.key }, from: '127.0.0.5' }), 400, 40002);
      assert.match(both.message, /either apiKey, or username and password/);
      expectError(await request(lab(), 'POST', '/session', { body: { username: 'pat' }, from: '127.0.0.5' }), 400, 40005);
    });

    it('signs in with an API key instead', async () => {
      const answer = await request(lab(), 'POST', '/session', { body: { apiKey: cast.pi.key }, from: '127.0.0.6' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.user.username, 'pat');
      const whoami = await request(lab(), 'GET', '/userDetails/whoami', { cookie: sessionCookieOf(answer).pair });
      assert.equal(whoami.body.username, 'pat');
      expectError(await request(lab(), 'POST', '/session', { body: { apiKey: 'Unknown_key_0123456789' }, from: '127.0.0.6' }), 401, 40101);
    });

    it('refuses a change made with the cookie but without its CSRF token, and does nothing of it', async () => {
      const { cookie, csrf } = await signIn(lab(), 'alice');
      const before = (await request(lab(), 'GET', '/jobs', { cookie })).body.totalHits;
      const missing = expectError(await request(lab(), 'POST', '/export/html/user', { cookie, body: {} }), 403, 40301);
      assert.match(missing.message, /X-CSRF-Token/);
      expectError(await request(lab(), 'POST', '/export/html/user', { cookie, csrf: `${csrf.slice(0, -1)}x`, body: {} }), 403, 40301);
      // Another session's token is no better than none.
      const other = await signIn(lab(), 'bob');
      expectError(await request(lab(), 'POST', '/export/html/user', { cookie, csrf: other.csrf, body: {} }), 403, 40301);
      assert.equal((await request(lab(), 'GET', '/jobs', { cookie })).body.totalHits, before);

      const started = await request(lab(), 'POST', '/export/html/user', { cookie, csrf, body: {} });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const jobs = await request(lab(), 'GET', '/jobs', { cookie });
      assert.equal(jobs.body.totalHits, before + 1);
      assert.ok(jobs.body.jobs.some((j: any) => j.id === started.body.id));
    });

    it('lets an API key win over a cookie, with no CSRF token needed', async () => {
      const { cookie } = await signIn(lab(), 'alice');
      const whoami = await request(lab(), 'GET', '/userDetails/whoami', { cookie, key: cast.bob.key });
      assert.equal(whoami.body.username, 'bob');
      const folder = await request(lab(), 'POST', '/folders', { cookie, key: cast.bob.key, body: { name: 'by key' } });
      assert.equal(folder.status, 201, JSON.stringify(folder.body));
      expectError(await request(lab(), 'GET', '/session', { key: cast.bob.key }), 404, 40402);
    });

    it('signs out: the session ends on the server, its cookie is cleared, and a sign-out needs the token', async () => {
      const { cookie, csrf } = await signIn(lab(), 'alice');
      expectError(await request(lab(), 'DELETE', '/session', { cookie }), 403, 40301);
      const out = await request(lab(), 'DELETE', '/session', { cookie, csrf });
      assert.equal(out.status, 204);
      const cleared = sessionCookieOf(out);
      assert.equal(cleared.pair, 'elnport_session=');
      assert.ok(cleared.attributes.some((a) => a.startsWith('expires=') && Date.parse(a.slice(8)) < Date.now()));
      expectError(await request(lab(), 'GET', '/session', { cookie }), 401, 40101);
    });

    it('ends the old session when the same browser signs in again', async () => {
      const first = await signIn(lab(), 'bob');
      const again = await request(lab(), 'POST', '/session', { cookie: first.cookie, body: { username: 'bob', password: 'password123' }, from: '127.0.0.8' });
      assert.equal(again.status, 200);
      expectError(await request(lab(), 'GET', '/session', { cookie: first.cookie }), 401, 40101);
      assert.equal((await request(lab(), 'GET', '/session', { cookie: sessionCookieOf(again).pair })).status, 200);
    });

    it('stops a session at once when its account is disabled', async () => {
      const carol = await lab().createUser('carol');
      const { cookie } = await signIn(lab(), 'carol');
      assert.equal((await lab().call('PUT', `/sysadmin/users/${carol.id}/disable`)).status, 200);
      expectError(await request(lab(), 'GET', '/userDetails/whoami', { cookie }), 401, 40101);
      expectError(await request(lab(), 'POST', '/session', { body: { username: 'carol', password: 'password123' }, from: '127.0.0.7' }), 401, 40101);
    });

    it('works across API processes on one database: signed in on one, used and ended on another', { skip: kind !== 'postgres' && 'one SQLite database has one process' }, async () => {
      const other = await startServer({ ...lab().server.app.config, role: 'api', port: 0 });
      try {
        const { cookie, csrf } = await signIn(lab(), 'bob');
        const there = await request(other, 'GET', '/session', { cookie });
        assert.equal(there.status, 200);
        assert.equal(there.body.csrfToken, csrf);
        assert.equal((await request(other, 'DELETE', '/session', { cookie, csrf })).status, 204);
        expectError(await request(lab(), 'GET', '/session', { cookie }), 401, 40101);
      } finally {
        await other.close();
      }
    });

    it('keeps sessions in the database: they outlive a restart of the server', async () => {
      const { cookie, csrf } = await signIn(lab(), 'pat');
      await lab().restart();
      const after = await request(lab(), 'GET', '/session', { cookie });
      assert.equal(after.status, 200);
      assert.equal(after.body.csrfToken, csrf);
    });
  });

  describe('the sign-in limit', () => {
    const lab = useLab(kind, { ELNPORT_SIGN_IN_ATTEMPTS: '4' });

    it('limits sign-in attempts per username, from any address, and per address, whatever the username', async () => {
      const { pi } = await createCast(lab());
      // Four a window (the lab's setting): the fifth attempt is refused even with the right password.
      for (let i = 0; i < 4; i += 1) {
        expectError(await request(lab(), 'POST', '/session', { body: { username: 'bob', password: `guess-${i}` }, from: `127.0.1.${i}` }), 401, 40101);
      }
      const refused = await request(lab(), 'POST', '/session', { body: { username: 'bob', password: 'password123' }, from: '127.0.1.9' });
      expectError(refused, 429, 42901);
      assert.match(refused.body.message, /Too many sign-in attempts/);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.equal((await request(lab(), 'POST', '/session', { body: { username: 'pat', password: 'password123' }, from: '127.0.1.9' })).status, 200);

      for (let i = 0; i < 4; i += 1) {
        expectError(await request(lab(), 'POST', '/session', { body: { username: `who-${i}`, password: 'password123' }, from: '127.0.2.1' }), 401, 40101);
      }
      expectError(await request(lab(), 'POST', '/session', { body: { username: 'pat', password: 'password123' }, from: '127.0.2.1' }), 429, 42901);
      expectError(await request(lab(), 'POST', '/session', { body: { apiKey: pi.key }, from: '127.0.2.1' }), 429, 42901);
    });
  });

  describe('behind an HTTPS proxy (an https ELNPORT_PUBLIC_URL)', () => {
    const lab = useLab(kind, { ELNPORT_PUBLIC_URL: 'https://eln.example.org' });

    it('marks the session cookie Secure, and clears it the same way', async () => {
      await lab().createUser('erin');
      const answer = await request(lab(), 'POST', '/session', { body: { username: 'erin', password: 'password123' }, from: '127.0.4.1' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const { pair, attributes } = sessionCookieOf(answer);
      assert.ok(attributes.includes('secure'), attributes.join('; '));
      assert.ok(attributes.includes('httponly') && attributes.includes('samesite=strict'));
      const out = await request(lab(), 'DELETE', '/session', { cookie: pair, csrf: answer.body.csrfToken });
      assert.equal(out.status, 204);
      assert.ok(sessionCookieOf(out).attributes.includes('secure'));
    });
  });

  describe('a session past its lifetime', () => {
    // 5.4 s: time enough for a loaded machine to sign in and use the session before it ends.
    const lab = useLab(kind, { ELNPORT_SESSION_HOURS: '0.0015' });

    it('is refused once it has expired, and removed by the sweeper', async () => {
      await lab().createUser('dana');
      const { cookie, body } = await signIn(lab(), 'dana');
      assert.ok(Date.parse(body.expiresAt) - Date.now() <= 5400, `${body.expiresAt} is not within 5.4 s`);
      assert.equal((await request(lab(), 'GET', '/session', { cookie })).status, 200);
      await sleep(Math.max(0, Date.parse(body.expiresAt) - Date.now()) + 50);
      expectError(await request(lab(), 'GET', '/session', { cookie }), 401, 40101);
      const count = async () => (await lab().server.store.db.selectFrom('sessions').select('token_hash').execute()).length;
      assert.equal(await count(), 1);
      await sweepOnce(lab());
      assert.equal(await count(), 0);
    });
  });
});
