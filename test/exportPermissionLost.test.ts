import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { forEachDatabase, sysadminKey, useLab, type Account, type Lab } from './support/lab.js';

/**
 * Issue 7 item 10: who may export what is decided by one function, asked when a job is submitted
 * and again when a worker plans it. With no worker, jobs are accepted, permission is then taken
 * away, and a server with a worker runs them: each must fail with the refusal a new request would get.
 */

async function ownDocument(l: Lab, who: Account): Promise<number> {
  const r = await l.call('POST', '/documents', { key: who.key, body: { name: `${who.username} notes`, fields: [{ content: '<p>work</p>' }] } });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

async function submit(l: Lab, who: Account, path: string): Promise<number> {
  const r = await l.call('POST', path, { key: who.key });
  assert.equal(r.status, 202, r.text);
  return r.body.id;
}

async function leaveGroup(l: Lab, who: Account, groupId: number): Promise<void> {
  await l.server.store.db.deleteFrom('group_members').where('group_id', '=', groupId).where('user_id', '=', who.id).execute();
}

/** The job row's status and message, once a worker has finished with it. */
async function finished(l: Lab, jobId: number): Promise<{ status: string; error_message: string | null }> {
  for (let i = 0; i < 600; i++) {
    const row = await l.server.store.db.selectFrom('export_jobs').select(['status', 'error_message']).where('id', '=', jobId).executeTakeFirstOrThrow();
    if (row.status !== 'STARTING' && row.status !== 'STARTED') return row;
    await sleep(100);
  }
  throw new Error(`job ${jobId} did not finish`);
}

forEachDatabase((kind) => {
  describe('permission lost between submitting an export and planning it', () => {
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    const jobs = {} as Record<'user' | 'selection' | 'disabled' | 'kept' | 'memberOwn', number>;
    let users: Record<'piA' | 'memberA' | 'piB' | 'memberB' | 'carol' | 'dana', Account>;

    before(async () => {
      const l = lab();
      users = {
        piA: await l.createUser('pia', 'ROLE_PI'),
        memberA: await l.createUser('membera'),
        piB: await l.createUser('pib', 'ROLE_PI'),
        memberB: await l.createUser('memberb'),
        carol: await l.createUser('carol'),
        dana: await l.createUser('dana'),
      };
      const labA = await l.createGroup('Lab A', [
        { username: 'pia', roleInGroup: 'PI' },
        { username: 'membera', roleInGroup: 'DEFAULT' },
      ]);
      const labB = await l.createGroup('Lab B', [
        { username: 'pib', roleInGroup: 'PI' },
        { username: 'memberb', roleInGroup: 'DEFAULT' },
      ]);
      await ownDocument(l, users.memberA);
      const memberBDocument = await ownDocument(l, users.memberB);
      await ownDocument(l, users.carol);
      await ownDocument(l, users.dana);

      jobs.user = await submit(l, users.piA, `/export/html/user/${users.memberA.id}`);
      jobs.selection = await submit(l, users.piB, `/export/html/selection?selections=${memberBDocument}`);
      jobs.memberOwn = await submit(l, users.memberA, '/export/xml/user');
      jobs.disabled = await submit(l, users.carol, '/export/html/user');
      jobs.kept = await submit(l, users.dana, '/export/html/user');

      await leaveGroup(l, users.piA, labA.id);
      await leaveGroup(l, users.piB, labB.id);
      const disabled = await l.call('PUT', `/sysadmin/users/${users.carol.id}/disable`, { key: sysadminKey });
      assert.equal(disabled.status, 200, disabled.text);
      await l.restart({ ELNPORT_WORKERS: '1' });
    });

    it("refuses a PI's export of a member's work once the PI has left the group", async () => {
      const row = await finished(lab(), jobs.user);
      assert.equal(row.status, 'FAILED');
      assert.equal(row.error_message, 'Unauthorized attempt by pia to export records belonging to membera');
    });

    it('refuses a selection none of which the exporter may read any more, instead of an empty archive', async () => {
      const row = await finished(lab(), jobs.selection);
      assert.equal(row.status, 'FAILED');
      assert.equal(row.error_message, 'None of the selected records exist or may be exported by pib');
    });

    it('refuses the export of an account disabled since it was asked for', async () => {
      const row = await finished(lab(), jobs.disabled);
      assert.equal(row.status, 'FAILED');
      assert.equal(row.error_message, 'The account carol is disabled');
    });

    it('still exports what permission still covers', async () => {
      assert.equal((await finished(lab(), jobs.kept)).status, 'COMPLETED');
      // membera may still export their own work: the PI leaving changes nothing for them.
      assert.equal((await finished(lab(), jobs.memberOwn)).status, 'COMPLETED');
    });
  });
});
