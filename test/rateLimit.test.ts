import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { DatabaseCounter } from '../src/api/rateLimit.js';
import { loadConfig } from '../src/config.js';
import { ensureFirstSysadmin } from '../src/content/users.js';
import { startServer, type Server } from '../src/server.js';
import { countRequest, deleteEndedWindows } from '../src/store/queries/rateLimits.js';
import { jsonCaller, type Call } from './support/http.js';
import { expectError, forEachDatabase, postgresSkip, sysadminKey, useLab, type Account, type Answer } from './support/lab.js';
import { createPostgresDatabase } from './support/process.js';
import { tempDir } from './support/tempDirs.js';

const limits = (r: Answer) => ({ limit: r.headers.get('x-rate-limit-limit'), remaining: r.headers.get('x-rate-limit-remaining') });

forEachDatabase((kind) => {
  describe('rate limiting', () => {
    // Each user gets 5 calls a minute; the sysadmin spends 2 of its own making the users.
    const lab = useLab(kind, { ELNPORT_RATE_LIMIT: '5' });
    let alice: Account;
    let bob: Account;

    before(async () => {
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
    });

    const whoami = (key: string | null) => lab().call('GET', '/userDetails/whoami', { key });

    it('counts down on every answer, then refuses with 429/42901 and Retry-After', async () => {
      for (let remaining = 4; remaining >= 0; remaining--) {
        const r = await whoami(alice.key);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(limits(r), { limit: '5', remaining: String(remaining) });
      }
      for (let i = 0; i < 2; i++) {
        const r = await whoami(alice.key);
        const body = expectError(r, 429, 42901);
        assert.equal(body.status, 'TOO_MANY_REQUESTS');
        assert.deepEqual(limits(r), { limit: '5', remaining: '0' });
        const retryAfter = r.headers.get('retry-after');
        assert.match(retryAfter ?? '', /^\d+$/);
        assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
      }
    });

    it("leaves other users' limits alone", async () => {
      const r = await whoami(bob.key);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.username, 'bob');
      assert.deepEqual(limits(r), { limit: '5', remaining: '4' });
      expectError(await whoami(alice.key), 429, 42901);
      const sysadmin = await lab().call('GET', '/groups');
      assert.equal(sysadmin.status, 200, sysadmin.text);
      assert.deepEqual(limits(sysadmin), { limit: '5', remaining: '2' });
    });

    it('puts the headers on refusals too', async () => {
      const r = await lab().call('GET', '/folders/999999', { key: bob.key });
      expectError(r, 404, 40402);
      assert.deepEqual(limits(r), { limit: '5', remaining: '3' });
      expectError(await lab().call('POST', '/sysadmin/users', { key: bob.key, body: {} }), 401, 40101);
      assert.deepEqual(limits(await whoami(bob.key)), { limit: '5', remaining: '1' });
    });

    it('limits calls without a valid key by address, apart from the users', async () => {
      for (let remaining = 4; remaining >= 0; remaining--) {
        const r = await whoami('not_a_known_key_at_all');
        expectError(r, 401, 40101);
        assert.deepEqual(limits(r), { limit: '5', remaining: String(remaining) });
      }
      expectError(await whoami('not_a_known_key_at_all'), 429, 42901);
      expectError(await lab().call('GET', '/status', { key: null }), 429, 42901);
      const r = await whoami(bob.key);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(limits(r), { limit: '5', remaining: '0' });
    });

    it(kind === 'sqlite' ? 'counts in memory on SQLite: no row per caller' : 'counts in the database on PostgreSQL, a row per caller', async () => {
      const rows = await lab().server.store.db.selectFrom('rate_limits').select(['caller', 'count']).orderBy('caller').execute();
      if (kind === 'sqlite') assert.deepEqual(rows, []);
      else {
        assert.deepEqual(rows.find((row) => row.caller === `user:${bob.id}`), { caller: `user:${bob.id}`, count: 5 });
        // Unlogged: a logged table's commit per request waits for the disk (the migration's figures).
        const { rows: table } = await sql<{ relpersistence: string }>`select relpersistence from pg_class where relname = 'rate_limits'`.execute(lab().server.store.db);
        assert.deepEqual(table, [{ relpersistence: 'u' }]);
      }
    });
  });

  describe('rate limiting, after the window', () => {
    const lab = useLab(kind, { ELNPORT_RATE_LIMIT: '2', ELNPORT_RATE_WINDOW_SECONDS: '1' });

    it('lets the caller in again once Retry-After has passed', async () => {
      const whoami = () => lab().call('GET', '/userDetails/whoami');
      // The window opens at the caller's first call, so these three fall in one.
      assert.equal((await whoami()).status, 200);
      assert.equal((await whoami()).status, 200);
      const refused = await whoami();
      expectError(refused, 429, 42901);
      assert.equal(refused.headers.get('retry-after'), '1');
      await sleep(1100);
      const again = await whoami();
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(limits(again), { limit: '2', remaining: '1' });
    });
  });
});

/**
 * Issue 10 item 5: on PostgreSQL the per-user limits hold across every API process, so two servers
 * on one database (as a load balancer would spread a client's calls) count and refuse as one.
 */
describe('limits shared by API processes on one PostgreSQL', { skip: postgresSkip }, () => {
  interface Pair {
    servers: [Server, Server];
    databaseUrl: string;
    calls: [Call, Call];
  }

  /** Two `api` servers on one fresh database and data directory, closed after the suite. */
  function usePair(env: Record<string, string>): () => Pair {
    let pair: Pair | undefined;
    let drop: (() => Promise<void>) | undefined;
    before(async () => {
      const database = await createPostgresDatabase(process.env.DATABASE_URL!);
      drop = database.drop;
      const config = loadConfig({
        ELNPORT_ROLE: 'api',
        ELNPORT_DATA_DIR: tempDir('elnport-limits-'),
        DATABASE_URL: database.url,
        PORT: '0',
        HOST: '127.0.0.1',
        ELNPORT_SYSADMIN_API_KEY: sysadminKey,
        LOG_LEVEL: 'silent',
        ...env,
      });
      const first = await startServer(config);
      const second = await startServer(config);
      await ensureFirstSysadmin(first.store.db, first.store.apiKeys, sysadminKey);
      pair = {
        servers: [first, second],
        databaseUrl: database.url,
        calls: [jsonCaller(first.url, sysadminKey), jsonCaller(second.url, sysadminKey)],
      };
    });
    after(async () => {
      for (const server of pair?.servers ?? []) await server.close();
      await drop?.();
    });
    return () => {
      if (!pair) throw new Error('the servers have not started');
      return pair;
    };
  }

  async function createUser(call: Call, username: string): Promise<string> {
    const r = await call('POST', '/sysadmin/users', {
      body: { username, email: `${username}@test.lab`, firstName: username, lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.apiKey;
  }

  describe('within one window', () => {
    const pair = usePair({ ELNPORT_RATE_LIMIT: '6' });

    it('counts calls to either server against one limit; the 7th, on either, is 429', async () => {
      const [a, b] = pair().calls;
      const key = await createUser(a, 'carol');
      for (let remaining = 5; remaining >= 0; remaining--) {
        const r = await (remaining % 2 ? a : b)('GET', '/userDetails/whoami', { key });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(limits(r), { limit: '6', remaining: String(remaining) });
      }
      for (const call of [a, b]) {
        const refused = await call('GET', '/userDetails/whoami', { key });
        expectError(refused, 429, 42901);
        assert.deepEqual(limits(refused), { limit: '6', remaining: '0' });
        const retryAfter = Number(refused.headers.get('retry-after'));
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      }
    });

    it('refuses a second unfinished export from the same user on the other server with 429', async () => {
      const [a, b] = pair().calls;
      const key = await createUser(b, 'dave');
      // `api` servers run no workers: the first job stays STARTING.
      const first = await a('POST', '/export/html/user', { key });
      assert.equal(first.status, 202, first.text);
      const second = expectError(await b('POST', '/export/xml/user', { key }), 429, 42901);
      assert.equal(second.message, 'There is already a running export job');
    });

    it('judges windows by the database clock: a process clock an hour ahead counts on into the same window', async (t) => {
      const { db } = pair().servers[0].store;
      const counter = new DatabaseCounter(db, 60_000, pino({ level: 'silent' }));
      assert.equal((await counter.add('test:skewed')).count, 1);
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 3_600_000 });
      const later = await counter.add('test:skewed');
      t.mock.timers.reset();
      await counter.close();
      assert.equal(later.count, 2);
      assert.ok(later.closesInMs > 0 && later.closesInMs <= 60_000, `closes in ${later.closesInMs} ms`);
    });

    it('opens a new window once the stored one is over by the database clock', async () => {
      const { db } = pair().servers[0].store;
      assert.equal((await countRequest(db, 'test:aged', 60_000)).count, 1);
      assert.equal((await countRequest(db, 'test:aged', 60_000)).count, 2);
      await sql`update rate_limits set window_start = now() - interval '60 seconds' where caller = 'test:aged'`.execute(db);
      const fresh = await countRequest(db, 'test:aged', 60_000);
      assert.equal(fresh.count, 1);
      assert.ok(fresh.closesInMs > 59_000 && fresh.closesInMs <= 60_000, `closes in ${fresh.closesInMs} ms`);
    });

    it('removes ended windows once a window, not on every request', async (t) => {
      const { db } = pair().servers[0].store;
      const counter = new DatabaseCounter(db, 60_000, pino({ level: 'silent' }));
      await countRequest(db, 'test:ended', 60_000);
      await sql`update rate_limits set window_start = now() - interval '61 seconds' where caller = 'test:ended'`.execute(db);
      const callers = async () => (await db.selectFrom('rate_limits').select('caller').where('caller', 'like', 'test:%').orderBy('caller').execute()).map((r) => r.caller);
      await counter.add('test:current');
      await counter.close();
      assert.ok((await callers()).includes('test:ended'), 'no sweep before a window has passed');
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_000 });
      await counter.add('test:current');
      t.mock.timers.reset();
      await counter.close();
      assert.ok(!(await callers()).includes('test:ended'), 'swept once the process had waited a window');
      assert.ok((await callers()).includes('test:current'), 'an open window stays');
      assert.equal(await deleteEndedWindows(db), 0);
    });

    it('ends each window by its own length: a sign-in window outlives a request window of the same age', async () => {
      const { db } = pair().servers[0].store;
      await countRequest(db, 'test:short', 60_000);
      await countRequest(db, 'test:long', 15 * 60_000);
      await sql`update rate_limits set window_start = now() - interval '61 seconds' where caller in ('test:short', 'test:long')`.execute(db);
      assert.equal(await deleteEndedWindows(db), 1);
      const left = (await db.selectFrom('rate_limits').select('caller').where('caller', 'in', ['test:short', 'test:long']).execute()).map((r) => r.caller);
      assert.deepEqual(left, ['test:long']);
      assert.equal((await countRequest(db, 'test:long', 15 * 60_000)).count, 2);
    });
  });

  describe('across windows', () => {
    const pair = usePair({ ELNPORT_RATE_LIMIT: '2', ELNPORT_RATE_WINDOW_SECONDS: '1' });

    it('lets the caller in again, on either server, once Retry-After has passed', async () => {
      const [a, b] = pair().calls;
      const whoami = (call: Call) => call('GET', '/userDetails/whoami');
      assert.equal((await whoami(a)).status, 200);
      assert.equal((await whoami(b)).status, 200);
      const refused = await whoami(a);
      expectError(refused, 429, 42901);
      assert.equal(refused.headers.get('retry-after'), '1');
      await sleep(1100);
      const again = await whoami(b);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(limits(again), { limit: '2', remaining: '1' });
    });

    it('fails a request when the database cannot be reached, rather than letting it in uncounted', async () => {
      const name = new URL(pair().databaseUrl).pathname.slice(1);
      const admin = async (statement: string) => {
        const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        try {
          await client.query(statement);
        } finally {
          await client.end();
        }
      };
      await admin(`alter database ${name} allow_connections false`);
      try {
        await admin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}'`);
        // /status reads nothing else from the database: only the limiter's count can fail it.
        expectError(await pair().calls[0]('GET', '/status', { key: null }), 500, 50001);
      } finally {
        await admin(`alter database ${name} allow_connections true`);
      }
      const r = await pair().calls[0]('GET', '/status', { key: null });
      assert.equal(r.status, 200, r.text);
    });
  });
});
