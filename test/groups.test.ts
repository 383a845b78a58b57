import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { expectError, forEachDatabase, useLab, type Account, type Answer } from './support/lab.js';

interface GroupJson {
  id: number;
  globalId: string;
  name: string;
  type: string;
  sharedFolderId: number;
  members: { id: number; username: string; role: string }[];
  _links: { link: string; rel: string }[];
}

forEachDatabase((kind) => {
  describe('groups', () => {
    const lab = useLab(kind);
    let pi: Account;
    let alice: Account;
    let bob: Account;
    let carol: Account;
    let admin: Account;
    let lab1: GroupJson;
    let project: GroupJson;

    before(async () => {
      pi = await lab().createUser('pat', 'ROLE_PI');
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
      carol = await lab().createUser('carol');
      admin = await lab().createUser('adam', 'ROLE_ADMIN');
    });

    const postGroup = (body: unknown, key?: string) => lab().call('POST', '/sysadmin/groups', { body, key });

    async function allGroupNames(): Promise<string[]> {
      const r = await lab().call('GET', '/groups');
      assert.equal(r.status, 200, r.text);
      return r.body.map((g: { name: string }) => g.name);
    }

    async function refusedAndNothingMade(answer: Promise<Answer>, httpCode: number, internalCode: number): Promise<ReturnType<typeof expectError>> {
      const before = await allGroupNames();
      const body = expectError(await answer, httpCode, internalCode);
      assert.deepEqual(await allGroupNames(), before, 'no group was made');
      return body;
    }

    /** A lab group of pat, its PI, and one more member, which the server must refuse with 422/42201. */
    const refusedBesidePat = (displayName: string, member: { username: string; roleInGroup: string }) =>
      refusedAndNothingMade(postGroup({ displayName, type: 'LAB_GROUP', members: [{ username: 'pat', roleInGroup: 'PI' }, member] }), 422, 42201);

    describe('POST /sysadmin/groups', () => {
      it('creates a lab group with its shared folder and answers 201 in the contract shape', async () => {
        const r = await postGroup({
          displayName: '  Pat Lab  ',
          type: 'LAB_GROUP',
          members: [
            { username: 'alice', roleInGroup: 'DEFAULT' },
            { username: 'pat', roleInGroup: 'PI' },
            { username: 'carol', roleInGroup: 'RS_LAB_ADMIN', viewAll: true },
          ],
        });
        assert.equal(r.status, 201, r.text);
        const { id, sharedFolderId } = r.body;
        assert.ok(Number.isInteger(id) && id > 0);
        assert.ok(Number.isInteger(sharedFolderId) && sharedFolderId > 0);
        assert.deepEqual(r.body, {
          id,
          globalId: `GP${id}`,
          name: 'Pat Lab',
          type: 'LAB_GROUP',
          sharedFolderId,
          members: [
            { id: pi.id, username: 'pat', role: 'PI' },
            { id: alice.id, username: 'alice', role: 'DEFAULT' },
            { id: carol.id, username: 'carol', role: 'RS_LAB_ADMIN' },
          ],
          _links: [{ link: `${lab().url}/api/v1/groups/${id}`, rel: 'self' }],
        });
        lab1 = r.body;

        const folder = await lab().call('GET', `/folders/${sharedFolderId}`, { key: pi.key });
        assert.equal(folder.status, 200, folder.text);
        assert.equal(folder.body.name, 'Pat Lab_SHARED');
      });

      it('creates a project group, which needs no PI; its GROUP_OWNER owns the shared folder', async () => {
        const r = await postGroup({
          displayName: 'Side project',
          type: 'PROJECT_GROUP',
          members: [
            { username: 'alice', roleInGroup: 'DEFAULT' },
            { username: 'bob', roleInGroup: 'GROUP_OWNER' },
          ],
        });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.type, 'PROJECT_GROUP');
        assert.equal(r.body.globalId, `GP${r.body.id}`);
        assert.ok(r.body.sharedFolderId > 0);
        assert.deepEqual(r.body.members, [
          { id: alice.id, username: 'alice', role: 'DEFAULT' },
          { id: bob.id, username: 'bob', role: 'GROUP_OWNER' },
        ]);
        project = r.body;
        assert.equal((await lab().call('GET', `/folders/${r.body.sharedFolderId}`, { key: bob.key })).status, 200);
      });

      it('refuses a lab group without a PI with 422/42201', async () => {
        const body = await refusedAndNothingMade(
          postGroup({ displayName: 'Headless', type: 'LAB_GROUP', members: [{ username: 'alice', roleInGroup: 'DEFAULT' }] }),
          422,
          42201,
        );
        assert.match(body.message, /PI/);
      });

      it('refuses a lab group with two PIs, or with a GROUP_OWNER, with 422/42201', async () => {
        const pip = await lab().createUser('pip', 'ROLE_PI');
        let body = await refusedBesidePat('Two heads', { username: pip.username, roleInGroup: 'PI' });
        assert.match(body.message, /exactly one .*PI; got 2/);
        body = await refusedBesidePat('Owned lab', { username: 'alice', roleInGroup: 'GROUP_OWNER' });
        assert.match(body.message, /GROUP_OWNER.*alice/);
      });

      it('refuses a PI who lacks the ROLE_PI role with 422/42201', async () => {
        for (const username of ['bob', 'adam']) {
          const body = await refusedAndNothingMade(
            postGroup({ displayName: 'Pretender lab', type: 'LAB_GROUP', members: [{ username, roleInGroup: 'PI' }] }),
            422,
            42201,
          );
          assert.match(body.message, new RegExp(`${username}.*ROLE_PI`));
        }
      });

      it('refuses an unknown username with 422/42201 naming it', async () => {
        const body = await refusedBesidePat('Ghost lab', { username: 'nobody_here', roleInGroup: 'DEFAULT' });
        assert.match(body.message, /nobody_here/);
      });

      it('refuses a member listed twice with 422/42201', async () => {
        await refusedBesidePat('Twice', { username: 'pat', roleInGroup: 'DEFAULT' });
      });

      it('refuses no members, or more than 20, with 400/40002 saying how many are allowed', async () => {
        for (const members of [[], Array.from({ length: 21 }, (_, i) => ({ username: `m${i}`, roleInGroup: 'DEFAULT' }))]) {
          for (const key of ['members', 'users']) {
            const body = await refusedAndNothingMade(postGroup({ displayName: 'Sized', type: 'PROJECT_GROUP', [key]: members }), 400, 40002);
            assert.equal(body.data.validationErrors[0].field, 'members');
            assert.equal(body.data.validationErrors[0].rejectedValue, members.length);
            assert.match(body.message, new RegExp(`1 to 20 members; got ${members.length}`));
          }
        }
      });

      it('refuses members and users (its alias) together with 400/40002, and neither with 400/40005', async () => {
        const members = [{ username: 'pat', roleInGroup: 'PI' }];
        const body = await refusedAndNothingMade(postGroup({ displayName: 'Both', members, users: members }), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'users');
        assert.match(body.message, /not both/);
        const neither = await refusedAndNothingMade(postGroup({ displayName: 'Neither' }), 400, 40005);
        assert.match(neither.message, /members/);
      });

      it('refuses a bad type, roleInGroup or displayName with 400/40002', async () => {
        const members = [{ username: 'pat', roleInGroup: 'PI' }];
        let body = await refusedAndNothingMade(postGroup({ displayName: 'Odd', type: 'CLUB', members }), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'type');
        assert.equal(body.data.validationErrors[0].rejectedValue, 'CLUB');
        body = await refusedAndNothingMade(postGroup({ displayName: 'Odd', type: 'LAB_GROUP', members: [{ username: 'pat', roleInGroup: 'BOSS' }] }), 400, 40002);
        assert.match(body.data.validationErrors[0].field, /roleInGroup/);
        body = await refusedAndNothingMade(postGroup({ displayName: '   ', type: 'LAB_GROUP', members }), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'displayName');
      });

      it('refuses a missing field with 400/40005 and malformed JSON with 400/40009', async () => {
        const body = await refusedAndNothingMade(postGroup({ type: 'LAB_GROUP', members: [{ username: 'pat', roleInGroup: 'PI' }] }), 400, 40005);
        assert.match(body.message, /displayName/);
        await refusedAndNothingMade(postGroup('{"displayName": '), 400, 40009);
      });

      it('refuses anyone but a sysadmin with 401/40101 and creates nothing', async () => {
        const body = { displayName: 'Rogue lab', type: 'LAB_GROUP', members: [{ username: 'pat', roleInGroup: 'PI' }] };
        for (const who of [pi, alice, admin]) await refusedAndNothingMade(postGroup(body, who.key), 401, 40101);
        await refusedAndNothingMade(postGroup('{', pi.key), 401, 40101);
      });
    });

    describe('GET /groups', () => {
      it("lists the caller's groups", async () => {
        const ofAlice = await lab().call('GET', '/groups', { key: alice.key });
        assert.equal(ofAlice.status, 200, ofAlice.text);
        assert.deepEqual(ofAlice.body, [lab1, project]);
        const ofPi = await lab().call('GET', '/groups', { key: pi.key });
        assert.deepEqual(ofPi.body, [lab1]);
        const ofBob = await lab().call('GET', '/groups', { key: bob.key });
        assert.deepEqual(ofBob.body, [project]);
      });

      it('answers an empty list for someone in no group', async () => {
        const r = await lab().call('GET', '/groups', { key: admin.key });
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, []);
      });

      it('shows a sysadmin every group, though they are in none', async () => {
        const r = await lab().call('GET', '/groups');
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, [lab1, project]);
      });

      it('refuses a caller without a key', async () => {
        expectError(await lab().call('GET', '/groups', { key: null }), 401, 40101);
      });
    });

    describe('GET /groups/{id}', () => {
      it('shows a group to its members and to a sysadmin', async () => {
        for (const key of [pi.key, alice.key, carol.key, undefined]) {
          const r = await lab().call('GET', `/groups/${lab1.id}`, { key });
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.body, lab1);
        }
        assert.deepEqual((await lab().call('GET', `/groups/${project.id}`, { key: bob.key })).body, project);
      });

      it('answers 404/40402 to a non-member, as for a group that does not exist', async () => {
        const refused = expectError(await lab().call('GET', `/groups/${lab1.id}`, { key: bob.key }), 404, 40402);
        expectError(await lab().call('GET', `/groups/${project.id}`, { key: pi.key }), 404, 40402);
        const missing = expectError(await lab().call('GET', '/groups/999999', { key: bob.key }), 404, 40402);
        assert.equal(refused.message.replace(String(lab1.id), 'N'), missing.message.replace('999999', 'N'));
        expectError(await lab().call('GET', '/groups/999999'), 404, 40402);
      });

      it('answers 400/40003 for a non-numeric id', async () => {
        expectError(await lab().call('GET', '/groups/abc', { key: alice.key }), 400, 40003);
      });
    });
  });

  describe('groups in RSpace\'s terms', () => {
    const lab = useLab(kind);

    it('makes a lab group when no type is given, taking users as the members', async () => {
      await lab().createUser('pia', 'ROLE_PI');
      const ann = await lab().createUser('ann');
      const r = await lab().call('POST', '/sysadmin/groups', {
        body: { displayName: 'Pia lab', users: [{ username: 'pia', roleInGroup: 'PI' }, { username: 'ann', roleInGroup: 'DEFAULT' }] },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.type, 'LAB_GROUP');
      assert.deepEqual(r.body.members.map((m: { username: string; role: string }) => [m.username, m.role]), [['pia', 'PI'], ['ann', 'DEFAULT']]);
      const listed = await lab().call('GET', '/groups', { key: ann.key });
      assert.deepEqual(listed.body, [r.body]);
    });

    it('takes 20 members', async () => {
      const users = [{ username: 'pia', roleInGroup: 'PI' }];
      for (let i = 1; i < 20; i++) users.push({ username: (await lab().createUser(`big${i}`)).username, roleInGroup: 'DEFAULT' });
      const r = await lab().call('POST', '/sysadmin/groups', { body: { displayName: 'Big lab', users } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.members.length, 20);
    });

    it("gives a project group's GROUP_OWNER no read of the members' work, and shows the role", async () => {
      const owner = await lab().createUser('olga');
      const member = await lab().createUser('max');
      const r = await lab().call('POST', '/sysadmin/groups', {
        body: { displayName: 'Project Y', type: 'PROJECT_GROUP', members: [{ username: 'olga', roleInGroup: 'GROUP_OWNER' }, { username: 'max', roleInGroup: 'DEFAULT' }] },
      });
      assert.equal(r.status, 201, r.text);
      const shown = await lab().call('GET', `/groups/${r.body.id}`, { key: member.key });
      assert.deepEqual(shown.body.members, [
        { id: owner.id, username: 'olga', role: 'GROUP_OWNER' },
        { id: member.id, username: 'max', role: 'DEFAULT' },
      ]);
      const doc = await lab().call('POST', '/documents', { key: member.key, body: { name: 'Max notes' } });
      assert.equal(doc.status, 201, doc.text);
      expectError(await lab().call('GET', `/documents/${doc.body.id}`, { key: owner.key }), 404, 40402);
    });
  });
});
