import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { expectError, forEachDatabase, sysadminKey, useLab, type Account } from './support/lab.js';

const newUser = (username: string, extra: Record<string, unknown> = {}) => ({
  username,
  email: `${username}@example.org`,
  firstName: 'First',
  lastName: 'Last',
  password: 'correct horse',
  role: 'ROLE_USER',
  ...extra,
});

forEachDatabase((kind) => {
  describe('users', () => {
    const lab = useLab(kind);
    let alice: Account;
    let pi: Account;

    before(async () => {
      alice = await lab().createUser('alice');
      pi = await lab().createUser('pat', 'ROLE_PI');
    });

    const whoami = (key: string) => lab().call('GET', '/userDetails/whoami', { key });

    async function listedUsernames(): Promise<string[]> {
      const r = await lab().call('GET', '/sysadmin/users?pageSize=100');
      assert.equal(r.status, 200, r.text);
      return r.body.users.map((u: { username: string }) => u.username);
    }

    describe('POST /sysadmin/users', () => {
      it('creates a user with home folder and answers 201 with the key, this once', async () => {
        const r = await lab().call('POST', '/sysadmin/users', {
          body: newUser('dana', { firstName: ' Dana ', lastName: 'Scully', role: 'ROLE_PI', affiliation: 'FBI' }),
        });
        assert.equal(r.status, 201, r.text);
        const { id, homeFolderId, apiKey } = r.body;
        assert.ok(Number.isInteger(id) && id > 0);
        assert.ok(Number.isInteger(homeFolderId) && homeFolderId > 0);
        assert.match(apiKey, /^[A-Za-z0-9_]{16,64}$/);
        assert.deepEqual(r.body, {
          id,
          username: 'dana',
          email: 'dana@example.org',
          firstName: 'Dana',
          lastName: 'Scully',
          homeFolderId,
          workbenchId: homeFolderId,
          hasPiRole: true,
          hasSysAdminRole: false,
          _links: [],
          role: 'ROLE_PI',
          affiliation: 'FBI',
          enabled: true,
          apiKey,
        });

        const me = await whoami(apiKey);
        assert.equal(me.status, 200, me.text);
        assert.equal(me.body.id, id);
        assert.equal(me.body.apiKey, undefined, 'whoami must not repeat the key');
        const home = await lab().call('GET', `/folders/${homeFolderId}`, { key: apiKey });
        assert.equal(home.status, 200, home.text);
        assert.equal(home.body.name, 'dana');

        const listed = await lab().call('GET', '/sysadmin/users?pageSize=100');
        const entry = listed.body.users.find((u: { id: number }) => u.id === id);
        assert.ok(entry, 'the new user is listed');
        assert.equal(entry.apiKey, undefined, 'the listing must not repeat the key');
      });

      it('with createGroupForPi makes a PI the PI of a new lab group', async () => {
        const r = await lab().call('POST', '/sysadmin/users', {
          body: newUser('pina', { firstName: 'Pina', lastName: 'Bausch', role: 'ROLE_PI', createGroupForPi: true }),
        });
        assert.equal(r.status, 201, r.text);
        const groups = await lab().call('GET', '/groups', { key: r.body.apiKey });
        assert.equal(groups.status, 200, groups.text);
        assert.equal(groups.body.length, 1);
        const [group] = groups.body;
        assert.equal(group.name, "Pina Bausch's group");
        assert.equal(group.type, 'LAB_GROUP');
        assert.deepEqual(group.members, [{ id: r.body.id, username: 'pina', role: 'PI' }]);
        const shared = await lab().call('GET', `/folders/${group.sharedFolderId}`, { key: r.body.apiKey });
        assert.equal(shared.status, 200, shared.text);
      });

      it('makes no group without createGroupForPi, or with it false', async () => {
        for (const [username, extra] of [['pim', {}], ['pom', { createGroupForPi: false }]] as const) {
          const r = await lab().call('POST', '/sysadmin/users', { body: newUser(username, { role: 'ROLE_PI', ...extra }) });
          assert.equal(r.status, 201, r.text);
          assert.deepEqual((await lab().call('GET', '/groups', { key: r.body.apiKey })).body, []);
        }
      });

      it('refuses createGroupForPi for a role other than ROLE_PI with 400/40002 and creates nothing', async () => {
        for (const role of ['ROLE_USER', 'ROLE_ADMIN', 'ROLE_SYSADMIN']) {
          const body = expectError(
            await lab().call('POST', '/sysadmin/users', { body: newUser('notapi', { role, createGroupForPi: true }) }),
            400,
            40002,
          );
          assert.equal(body.data.validationErrors[0].field, 'createGroupForPi');
          assert.match(body.message, new RegExp(`ROLE_PI, not ${role}`));
        }
        assert.ok(!(await listedUsernames()).includes('notapi'));
      });

      it('creates neither the user nor the group when the group cannot be made', async () => {
        const groupsBefore = (await lab().call('GET', '/groups')).body.length;
        const body = expectError(
          await lab().call('POST', '/sysadmin/users', {
            body: newUser('longname', { firstName: 'L'.repeat(250), role: 'ROLE_PI', createGroupForPi: true }),
          }),
          400,
          40002,
        );
        assert.equal(body.data.validationErrors[0].field, 'displayName');
        assert.ok(!(await listedUsernames()).includes('longname'), 'the user was rolled back with the group');
        assert.equal((await lab().call('GET', '/groups')).body.length, groupsBefore);
      });

      it('gives every user a different generated key', async () => {
        const a = await lab().call('POST', '/sysadmin/users', { body: newUser('gen1') });
        const b = await lab().call('POST', '/sysadmin/users', { body: newUser('gen2') });
        assert.equal(a.status, 201, a.text);
        assert.equal(b.status, 201, b.text);
        assert.notEqual(a.body.apiKey, b.body.apiKey);
        assert.equal((await whoami(b.body.apiKey)).body.username, 'gen2');
      });

      it('honours a given apiKey and refuses it for a second user', async () => {
        const key = 'Given_key_for_erin_0001';
        const r = await lab().call('POST', '/sysadmin/users', { body: newUser('erin', { apiKey: key }) });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.apiKey, key);
        const me = await whoami(key);
        assert.equal(me.status, 200, me.text);
        assert.equal(me.body.username, 'erin');

        expectError(await lab().call('POST', '/sysadmin/users', { body: newUser('erin2', { apiKey: key }) }), 422, 42201);
        assert.ok(!(await listedUsernames()).includes('erin2'));
        assert.equal((await whoami(key)).body.username, 'erin', 'the key still belongs to erin');
      });

      it('refuses a malformed apiKey with 400/40002', async () => {
        const body = expectError(await lab().call('POST', '/sysadmin/users', { body: newUser('frank', { apiKey: 'too short' }) }), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'apiKey');
        assert.ok(!(await listedUsernames()).includes('frank'));
      });

      it('refuses a taken username with 422/42201 and creates nothing', async () => {
        const before = await listedUsernames();
        const body = expectError(await lab().call('POST', '/sysadmin/users', { body: newUser('alice', { email: 'other@example.org' }) }), 422, 42201);
        assert.match(body.message, /alice/);
        assert.deepEqual(await listedUsernames(), before);
        assert.equal((await whoami(alice.key)).body.email, 'alice@test.lab', 'the first alice is unchanged');
      });

      it('lets only one of several simultaneous requests take a username', async () => {
        const answers = await Promise.all(Array.from({ length: 5 }, () => lab().call('POST', '/sysadmin/users', { body: newUser('racer') })));
        assert.deepEqual(answers.map((a) => a.status).sort(), [201, 422, 422, 422, 422], answers.map((a) => a.text).join('\n'));
        for (const a of answers) if (a.status === 422) expectError(a, 422, 42201);
        assert.equal((await listedUsernames()).filter((u) => u === 'racer').length, 1);
      });

      it('refuses a missing field with 400/40005 naming it', async () => {
        const without = (field: string) => Object.fromEntries(Object.entries(newUser('gina')).filter(([k]) => k !== field));
        const body = expectError(await lab().call('POST', '/sysadmin/users', { body: without('email') }), 400, 40005);
        assert.match(body.message, /email/);
        expectError(await lab().call('POST', '/sysadmin/users', { body: without('password') }), 400, 40005);
        assert.ok(!(await listedUsernames()).includes('gina'));
      });

      it('refuses an unknown role with 400/40002', async () => {
        const body = expectError(await lab().call('POST', '/sysadmin/users', { body: newUser('hank', { role: 'ROLE_KING' }) }), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'role');
        assert.equal(body.data.validationErrors[0].rejectedValue, 'ROLE_KING');
        assert.ok(!(await listedUsernames()).includes('hank'));
      });

      it('refuses a bad username, e-mail or password with 400/40002', async () => {
        const fieldOf = async (body: unknown) =>
          expectError(await lab().call('POST', '/sysadmin/users', { body }), 400, 40002).data.validationErrors[0].field;
        assert.equal(await fieldOf(newUser('has space')), 'username');
        assert.equal(await fieldOf(newUser('ivan', { email: 'not-an-address' })), 'email');
        assert.equal(await fieldOf(newUser('ivan', { password: 'short' })), 'password');
        assert.equal(await fieldOf(newUser('ivan', { firstName: '   ' })), 'firstName');
        assert.ok(!(await listedUsernames()).includes('ivan'));
      });

      it('refuses malformed JSON with 400/40009', async () => {
        expectError(await lab().call('POST', '/sysadmin/users', { body: '{"username": "jo",' }), 400, 40009);
      });

      it('refuses anyone but a sysadmin with 401/40101 and creates nothing', async () => {
        for (const key of [alice.key, pi.key]) {
          expectError(await lab().call('POST', '/sysadmin/users', { key, body: newUser('mallory', { role: 'ROLE_SYSADMIN' }) }), 401, 40101);
        }
        const admin = await lab().createUser('ada', 'ROLE_ADMIN');
        expectError(await lab().call('POST', '/sysadmin/users', { key: admin.key, body: newUser('mallory') }), 401, 40101);
        // Refused before the body is read, so a broken body tells an outsider nothing either.
        expectError(await lab().call('POST', '/sysadmin/users', { key: alice.key, body: '{' }), 401, 40101);
        expectError(await lab().call('POST', '/sysadmin/users', { key: null, body: newUser('mallory') }), 401, 40101);
        assert.ok(!(await listedUsernames()).includes('mallory'));
      });
    });

    describe('PUT /sysadmin/users/{id}/disable and /enable', () => {
      it("disables a user, whose key is then refused, and enables them again", async () => {
        const bob = await lab().createUser('bob');
        assert.equal((await whoami(bob.key)).status, 200);

        const off = await lab().call('PUT', `/sysadmin/users/${bob.id}/disable`);
        assert.equal(off.status, 200, off.text);
        assert.equal(off.body.id, bob.id);
        assert.equal(off.body.username, 'bob');
        assert.equal(off.body.enabled, false);
        expectError(await whoami(bob.key), 401, 40101);
        expectError(await lab().call('GET', '/folders/tree', { key: bob.key }), 401, 40101);
        const listed = await lab().call('GET', '/sysadmin/users?pageSize=100');
        assert.equal(listed.body.users.find((u: { id: number }) => u.id === bob.id).enabled, false);

        const on = await lab().call('PUT', `/sysadmin/users/${bob.id}/enable`);
        assert.equal(on.status, 200, on.text);
        assert.equal(on.body.enabled, true);
        const me = await whoami(bob.key);
        assert.equal(me.status, 200, me.text);
        assert.equal(me.body.enabled, true);
      });

      it('is idempotent', async () => {
        const carl = await lab().createUser('carl');
        for (let i = 0; i < 2; i++) assert.equal((await lab().call('PUT', `/sysadmin/users/${carl.id}/disable`)).body.enabled, false);
        expectError(await whoami(carl.key), 401, 40101);
        for (let i = 0; i < 2; i++) assert.equal((await lab().call('PUT', `/sysadmin/users/${carl.id}/enable`)).body.enabled, true);
        assert.equal((await whoami(carl.key)).status, 200);
      });

      it('answers 404/40402 for an unknown user and 400/40003 for a non-numeric id', async () => {
        for (const action of ['disable', 'enable']) {
          expectError(await lab().call('PUT', `/sysadmin/users/999999/${action}`), 404, 40402);
          expectError(await lab().call('PUT', `/sysadmin/users/abc/${action}`), 400, 40003);
        }
      });

      it('refuses a non-sysadmin, who changes nothing', async () => {
        expectError(await lab().call('PUT', `/sysadmin/users/${alice.id}/disable`, { key: pi.key }), 401, 40101);
        assert.equal((await whoami(alice.key)).status, 200);
      });

      it('will not let a sysadmin disable their own account', async () => {
        const me = await whoami(sysadminKey);
        expectError(await lab().call('PUT', `/sysadmin/users/${me.body.id}/disable`), 422, 42201);
        assert.equal((await whoami(sysadminKey)).body.enabled, true);
      });
    });

    describe('GET /userDetails/whoami', () => {
      it("answers the caller's details in RSpace's shape", async () => {
        const r = await whoami(alice.key);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, {
          id: alice.id,
          username: 'alice',
          email: 'alice@test.lab',
          firstName: 'alice',
          lastName: 'Tester',
          homeFolderId: alice.homeFolderId,
          workbenchId: alice.homeFolderId,
          hasPiRole: false,
          hasSysAdminRole: false,
          _links: [],
          role: 'ROLE_USER',
          affiliation: null,
          enabled: true,
        });
      });

      it('reports the PI and sysadmin roles', async () => {
        const p = (await whoami(pi.key)).body;
        assert.equal(p.username, 'pat');
        assert.equal(p.hasPiRole, true);
        assert.equal(p.hasSysAdminRole, false);
        const s = (await whoami(sysadminKey)).body;
        assert.equal(s.username, 'sysadmin');
        assert.equal(s.hasPiRole, false);
        assert.equal(s.hasSysAdminRole, true);
      });
    });
  });

  describe('GET /sysadmin/users', () => {
    const lab = useLab(kind);
    const extra = ['u1', 'u2', 'u3', 'u4'];
    let ids: number[];

    before(async () => {
      const created = [];
      for (const name of extra) created.push(await lab().createUser(name));
      const sysadmin = await lab().call('GET', '/userDetails/whoami');
      ids = [sysadmin.body.id, ...created.map((a) => a.id)];
    });

    // The links keep the caller's query, in the caller's order; compare them in one order.
    const listing = async (query: string) => {
      const r = await lab().call('GET', `/sysadmin/users${query}`);
      for (const l of r.body?._links ?? []) {
        const url = new URL(l.link);
        url.searchParams.sort();
        l.link = url.toString();
      }
      return r;
    };
    const link = (pageNumber: number, pageSize: number) => `${lab().url}/api/v1/sysadmin/users?pageNumber=${pageNumber}&pageSize=${pageSize}`;

    it('lists every user with details, in id order, by default 20 a page', async () => {
      const r = await listing('');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalHits, 5);
      assert.equal(r.body.pageNumber, 0);
      assert.deepEqual(r.body.users.map((u: { id: number }) => u.id), ids);
      assert.deepEqual(r.body.users.map((u: { username: string }) => u.username), ['sysadmin', ...extra]);
      const u1 = r.body.users[1];
      assert.deepEqual(Object.keys(u1).sort(), [
        '_links', 'affiliation', 'email', 'enabled', 'firstName', 'hasPiRole', 'hasSysAdminRole', 'homeFolderId', 'id', 'lastName', 'role', 'username', 'workbenchId',
      ]);
      assert.equal(u1.email, 'u1@test.lab');
      assert.equal(u1.role, 'ROLE_USER');
      assert.equal(u1.enabled, true);
      assert.deepEqual(r.body._links, [
        { link: link(0, 20), rel: 'first' },
        { link: link(0, 20), rel: 'last' },
        { link: link(0, 20), rel: 'self' },
      ]);
    });

    it('pages with first, prev, next and last links', async () => {
      const first = await listing('?pageSize=2');
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.totalHits, 5);
      assert.equal(first.body.pageNumber, 0);
      assert.deepEqual(first.body.users.map((u: { id: number }) => u.id), ids.slice(0, 2));
      assert.deepEqual(first.body._links, [
        { link: link(0, 2), rel: 'first' },
        { link: link(1, 2), rel: 'next' },
        { link: link(2, 2), rel: 'last' },
        { link: link(0, 2), rel: 'self' },
      ]);

      const middle = await listing('?pageSize=2&pageNumber=1');
      assert.equal(middle.body.pageNumber, 1);
      assert.deepEqual(middle.body.users.map((u: { id: number }) => u.id), ids.slice(2, 4));
      assert.deepEqual(middle.body._links.map((l: { rel: string }) => l.rel), ['first', 'prev', 'next', 'last', 'self']);
      assert.equal(middle.body._links[1].link, link(0, 2));
      assert.equal(middle.body._links[2].link, link(2, 2));

      const last = await listing('?pageNumber=2&pageSize=2');
      assert.equal(last.body.totalHits, 5);
      assert.deepEqual(last.body.users.map((u: { id: number }) => u.id), ids.slice(4));
      assert.deepEqual(last.body._links, [
        { link: link(0, 2), rel: 'first' },
        { link: link(1, 2), rel: 'prev' },
        { link: link(2, 2), rel: 'last' },
        { link: link(2, 2), rel: 'self' },
      ]);
    });

    it('answers an empty page past the end, still counting every user', async () => {
      const r = await listing('?pageNumber=9&pageSize=2');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalHits, 5);
      assert.equal(r.body.pageNumber, 9);
      assert.deepEqual(r.body.users, []);
      const prev = r.body._links.find((l: { rel: string }) => l.rel === 'prev');
      assert.equal(prev.link, link(2, 2), 'prev leads back to the last page');
    });

    it('refuses bad paging parameters', async () => {
      expectError(await listing('?pageSize=0'), 400, 40002);
      expectError(await listing('?pageSize=101'), 400, 40002);
      expectError(await listing('?pageNumber=-1'), 400, 40002);
      expectError(await listing('?pageNumber=abc'), 400, 40003);
    });

    it('is for sysadmins only', async () => {
      const user = await lab().createUser('nosy');
      expectError(await lab().call('GET', '/sysadmin/users', { key: user.key }), 401, 40101);
    });
  });
});
