import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { expectError, forEachDatabase, sysadminKey, useLab, type Account, type Answer, type Lab } from './support/lab.js';
import { downloadArchive, entries, extract, waitForJob } from './support/archives.js';

/**
 * CONTRACT.md "Who may export what", cell by cell: six exporters × three scopes × three targets,
 * each run against the real server. A 202 must lead to a COMPLETED job with the right number of
 * documents; a refusal is RSpace's 401/40101 and leaves no job behind.
 */

type Exporter = 'member' | 'pi' | 'admin' | 'admin2' | 'sysadmin' | 'stranger';
type Scope = 'user' | 'group' | 'selection';
type Target = 'own' | 'lab' | 'outside';
type Outcome = 202 | 401;

const exporters: Exporter[] = ['member', 'pi', 'admin', 'admin2', 'sysadmin', 'stranger'];
const scopes: Scope[] = ['user', 'group', 'selection'];
const targets: Target[] = ['own', 'lab', 'outside'];

/**
 * The expected outcome for [own, lab, outside]:
 * - user:      own = the exporter's own id; lab = a member of the PI's lab group "Lab" (member,
 *              or admin2 when the exporter is member); outside = othermember of "Other Lab".
 * - group:     own = no id (their lab group); lab = "Lab" by id; outside = "Other Lab" by id.
 * - selection: the one document of the same three users as for scope user.
 */
const table: Record<Exporter, Record<Scope, [Outcome, Outcome, Outcome]>> = {
  member: { user: [202, 401, 401], group: [401, 401, 401], selection: [202, 401, 401] },
  pi: { user: [202, 202, 401], group: [202, 202, 401], selection: [202, 202, 401] },
  // A lab admin with view-all oversees "Lab": its members and the group itself.
  admin: { user: [202, 202, 401], group: [202, 202, 401], selection: [202, 202, 401] },
  // Without view-all a lab admin is a plain member as far as export goes.
  admin2: { user: [202, 401, 401], group: [401, 401, 401], selection: [202, 401, 401] },
  // A sysadmin may export anyone and any group, but leads no lab group: "no id" names nothing.
  sysadmin: { user: [202, 202, 202], group: [401, 202, 202], selection: [202, 202, 202] },
  stranger: { user: [202, 401, 401], group: [401, 401, 401], selection: [202, 401, 401] },
};

/** Everyone whose document is in a lab: what a selection of every user's document yields per exporter. */
const readableCount: Record<Exporter, number> = { member: 1, pi: 4, admin: 4, admin2: 1, sysadmin: 8, stranger: 1 };

const format = 'html';

/** A job as GET /jobs/{id} answers it. */
type Job = Awaited<ReturnType<typeof waitForJob>>;

interface Person extends Account {
  documentId: number;
}

forEachDatabase((kind) => {
  describe('who may export what', () => {
    const lab = useLab(kind, { ELNPORT_RATE_LIMIT: '100000' });
    const people = {} as Record<Exporter | 'otherpi' | 'othermember', Person>;
    let labGroup: { id: number; name: string };
    let otherGroup: { id: number; name: string };

    async function ownDocument(l: Lab, who: Account): Promise<number> {
      const r = await l.call('POST', '/documents', {
        key: who.key,
        body: { name: `${who.username} notes`, fields: [{ content: `<p>Work of ${who.username}</p>` }] },
      });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    }

    before(async () => {
      const l = lab();
      const me = await l.call('GET', '/userDetails/whoami');
      assert.equal(me.status, 200, me.text);
      const sysadmin: Account = { id: me.body.id, username: me.body.username, key: sysadminKey, homeFolderId: me.body.homeFolderId };
      const accounts: Record<string, Account> = {
        sysadmin,
        pi: await l.createUser('pi', 'ROLE_PI'),
        member: await l.createUser('member'),
        admin: await l.createUser('admin'),
        admin2: await l.createUser('admin2'),
        stranger: await l.createUser('stranger'),
        otherpi: await l.createUser('otherpi', 'ROLE_PI'),
        othermember: await l.createUser('othermember'),
      };
      const labBody = await l.createGroup('Lab', [
        { username: 'pi', roleInGroup: 'PI' },
        { username: 'member', roleInGroup: 'DEFAULT' },
        { username: 'admin', roleInGroup: 'RS_LAB_ADMIN', viewAll: true },
        { username: 'admin2', roleInGroup: 'RS_LAB_ADMIN' },
      ]);
      const otherBody = await l.createGroup('Other Lab', [
        { username: 'otherpi', roleInGroup: 'PI' },
        { username: 'othermember', roleInGroup: 'DEFAULT' },
      ]);
      labGroup = { id: labBody.id, name: labBody.name };
      otherGroup = { id: otherBody.id, name: otherBody.name };
      for (const [name, account] of Object.entries(accounts)) {
        people[name as keyof typeof people] = { ...account, documentId: await ownDocument(l, account) };
      }
    });

    /** The user whose work stands for "a member of the PI's group" for this exporter (known before setup, for test names). */
    const labMemberName = (exporter: Exporter): 'member' | 'admin2' => (exporter === 'member' ? 'admin2' : 'member');

    interface Request {
      path: string;
      /** How a refusal names what was asked for; null when no single owner is named. */
      refusedOwner: string | null;
      /** documentsExported of the finished job. */
      documents: number;
    }

    function requestFor(exporter: Exporter, scope: Scope, target: Target): Request {
      const me = people[exporter];
      if (scope === 'group') {
        if (target === 'own') return { path: `/export/${format}/group`, refusedOwner: null, documents: 4 };
        const group = target === 'lab' ? labGroup : otherGroup;
        return { path: `/export/${format}/group/${group.id}`, refusedOwner: `(group )?${group.name}`, documents: target === 'lab' ? 4 : 2 };
      }
      const owner = target === 'own' ? me : target === 'lab' ? people[labMemberName(exporter)] : people.othermember;
      if (scope === 'user') return { path: `/export/${format}/user/${owner.id}`, refusedOwner: owner.username, documents: 1 };
      return { path: `/export/${format}/selection?selections=${owner.documentId}`, refusedOwner: null, documents: 1 };
    }

    function describeTarget(exporter: Exporter, scope: Scope, target: Target): string {
      if (scope === 'group') return target === 'own' ? 'their lab group (no id)' : target === 'lab' ? 'group Lab' : 'group Other Lab';
      if (target === 'own') return scope === 'user' ? 'their own work (by id)' : 'their own document';
      const whose = target === 'lab' ? `${labMemberName(exporter)} (in Lab)` : 'othermember (in Other Lab)';
      return scope === 'user' ? `the work of ${whose}` : `a document of ${whose}`;
    }

    async function noUnfinishedJob(l: Lab, who: Person): Promise<void> {
      const jobs = await l.call('GET', '/jobs?pageSize=100', { key: who.key });
      assert.equal(jobs.status, 200, jobs.text);
      const open = jobs.body.jobs.filter((j: { status: string }) => j.status === 'STARTING' || j.status === 'STARTED');
      assert.deepEqual(open, [], 'a refused request left a job behind');
    }

    async function accepted(l: Lab, who: Person, start: Answer): Promise<Job> {
      assert.equal(start.status, 202, start.text);
      assert.equal(start.body.status, 'STARTING');
      assert.equal(start.headers.get('location'), `${l.url}/api/v1/jobs/${start.body.id}`);
      // Wait for it: one unfinished export per user, so the next cell would get 429 otherwise.
      const job = await waitForJob(l, who.key, start.body.id);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
      return job;
    }

    for (const exporter of exporters) {
      for (const scope of scopes) {
        targets.forEach((target, i) => {
          const outcome = table[exporter][scope][i]!;
          it(`${exporter} exports (scope ${scope}) ${describeTarget(exporter, scope, target)}: ${outcome}`, async () => {
            const l = lab();
            const who = people[exporter];
            const request = requestFor(exporter, scope, target);
            const answer = await l.call('POST', request.path, { key: who.key });
            if (outcome === 202) {
              const job = await accepted(l, who, answer);
              assert.equal(job.result.documentsExported, request.documents, JSON.stringify(job.result));
              assert.equal(job.result.recordsSkipped, 0);
            } else {
              // A wrongly accepted job is waited for, so that it fails this cell alone, not the next ones with 429.
              if (answer.status === 202) await waitForJob(l, who.key, answer.body.id).catch(() => undefined);
              const error = expectError(answer, 401, 40101);
              if (scope !== 'selection') {
                const refused = request.refusedOwner === null ? '' : ` records belonging to ${request.refusedOwner}$`;
                assert.match(error.message, new RegExp(`^Unauthorized attempt by ${exporter} to export${refused}`));
              }
              await noUnfinishedJob(l, who);
            }
          });
        });
      }
      it(`${exporter} selects every user's document: only the readable ones (${readableCount[exporter]} of 8) are exported`, async () => {
        const l = lab();
        const who = people[exporter];
        const all = Object.values(people).map((p) => p.documentId);
        assert.equal(all.length, 8);
        const job = await accepted(l, who, await l.call('POST', `/export/${format}/selection?selections=${all.join(',')}`, { key: who.key }));
        assert.equal(job.result.documentsExported, readableCount[exporter], JSON.stringify(job.result));
        assert.equal(job.result.recordsSkipped, 8 - readableCount[exporter], JSON.stringify(job.result));
      });
    }

    it("a PI's group export without an id is their lab group, with every member's documents", async () => {
      const l = lab();
      const pi = people.pi;
      const job = await accepted(l, pi, await l.call('POST', `/export/${format}/group`, { key: pi.key }));
      const file = await downloadArchive(l, pi.key, job);
      const top = path.basename(file, '.zip');
      const names = entries(file);
      const hasDocument = (p: Person) => names.some((n) => n.startsWith(`${top}/doc_`) && n.includes(`-${p.documentId}/`));
      for (const p of [people.pi, people.member, people.admin, people.admin2]) assert.ok(hasDocument(p), `${p.username}'s document: ${names.join('\n')}`);
      for (const p of [people.stranger, people.otherpi, people.othermember, people.sysadmin]) assert.ok(!hasDocument(p), `${p.username}'s document must not be there`);
      const dir = extract(file);
      try {
        const manifest = fs.readFileSync(path.join(dir, top, 'manifest.txt'), 'utf8');
        assert.match(manifest, /^scope:GROUP$/m);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
      }
    });

    it('a plain user cannot export a group, with or without an id', async () => {
      const l = lab();
      const member = people.member;
      const noId = expectError(await l.call('POST', `/export/${format}/group`, { key: member.key }), 401, 40101);
      assert.match(noId.message, /^Unauthorized attempt by member to export/);
      const byId = expectError(await l.call('POST', `/export/${format}/group/${labGroup.id}`, { key: member.key }), 401, 40101);
      assert.match(byId.message, /^Unauthorized attempt by member to export records belonging to (group )?Lab$/);
      await noUnfinishedJob(l, member);
    });

    it('an unknown user id or group id is 404/40402, for a sysadmin and a plain user alike', async () => {
      const l = lab();
      const unknown = 99_999_999;
      for (const who of [people.sysadmin, people.member, people.pi]) {
        expectError(await l.call('POST', `/export/${format}/user/${unknown}`, { key: who.key }), 404, 40402);
        expectError(await l.call('POST', `/export/${format}/group/${unknown}`, { key: who.key }), 404, 40402);
      }
      // Ids are one sequence across record kinds: a document's id is no user's and no group's.
      expectError(await l.call('POST', `/export/${format}/user/${people.member.documentId}`), 404, 40402);
      expectError(await l.call('POST', `/export/${format}/group/${people.member.id}`), 404, 40402);
      await noUnfinishedJob(l, people.sysadmin);
    });

    it('a selection of nothing but unreadable or unknown ids is 401/40101', async () => {
      const l = lab();
      const stranger = people.stranger;
      const ids = [people.member.documentId, people.pi.documentId, people.othermember.documentId, 99_999_998];
      expectError(await l.call('POST', `/export/${format}/selection?selections=${ids.join(',')}`, { key: stranger.key }), 401, 40101);
      // The lab admin without view-all reads no colleague's work either.
      expectError(await l.call('POST', `/export/${format}/selection?selections=${people.member.documentId}`, { key: people.admin2.key }), 401, 40101);
      await noUnfinishedJob(l, stranger);
      await noUnfinishedJob(l, people.admin2);
    });
  });
});
