import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { expectError, forEachDatabase, useLab, type Account, type Answer } from './support/lab.js';

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
