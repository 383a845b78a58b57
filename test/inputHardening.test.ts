import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { contentCounts } from './support/counts.js';
import { expectError, forEachDatabase, sysadminKey, useLab, type Account, type Answer } from './support/lab.js';

/** Operations of the OpenAPI document, with `{name}` placeholders in their paths. */
interface Operation {
  method: string;
  path: string;
  parameters: { in: string; name: string; schema: { type?: string } }[];
}

async function operations(call: (method: string, path: string) => Promise<Answer>): Promise<Operation[]> {
  const r = await call('GET', '/openapi.json');
  assert.equal(r.status, 200, r.text);
  return Object.entries<Record<string, { parameters?: Operation['parameters'] }>>(r.body.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: path.replace(/^\/api\/v1/, ''), parameters: op.parameters ?? [] })),
  );
}

/** The written forms of `id` that Number() reads as `id` but that are not decimal digits. */
function nonCanonical(id: number): string[] {
  return [
    `0x${id.toString(16)}`,
    `+${id}`,
    `${id / 10}e1`,
    `${id}.0`,
    `%20${id}`,
    `${id}%20`,
    `%09${id}`,
    `0b${id.toString(2)}`,
    'Infinity',
  ];
}

forEachDatabase((kind) => {
  describe('input hardening', () => {
    const lab = useLab(kind, { ELNPORT_RATE_LIMIT: '100000' });
    let alice: Account;
    let bob: Account;
    let ids: Record<string, number>;

    before(async () => {
      alice = await lab().createUser('alice', 'ROLE_PI');
      bob = await lab().createUser('bob');
      const group = await lab().createGroup('Alice lab', [{ username: 'alice', roleInGroup: 'PI' }]);
      const folder = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Projects' } });
      const document = await lab().call('POST', '/documents', { key: alice.key, body: { name: 'Plate reads' } });
      const form = new FormData();
      form.append('file', new Blob(['bytes']), 'a.txt');
      const file = await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: alice.key }, body: form });
      const job = await lab().call('POST', '/export/xml/user', { key: alice.key });
      assert.equal(job.status, 202, job.text);
      ids = {
        documents: document.body.id,
        folders: folder.body.id,
        files: ((await file.json()) as { id: number }).id,
        groups: group.id,
        jobs: job.body.id,
        users: bob.id,
        export: alice.id,
      };
    });

    /** The id of the record a route's `{id}` names, and the path with it filled in. */
    function target(op: Operation): { id: number; path: (id: string) => string } {
      const resource = op.path.startsWith('/sysadmin/users') ? 'users' : op.path.split('/')[1]!;
      const id = ids[resource];
      assert.ok(id, `no record for ${op.method} ${op.path}`);
      const path = (value: string) => op.path.replace('{format}', 'html').replace('{scope}', 'user').replace('{id}', value);
      return { id, path };
    }

    const keyFor = (op: Operation) => (op.path.startsWith('/sysadmin') ? sysadminKey : alice.key);

    describe('ids in paths are decimal digits (issue 7, item 6)', () => {
      it('refuses every non-canonical form of an existing id with 400 on every route that takes an id', async () => {
        const withId = (await operations(lab().call)).filter((op) => op.parameters.some((p) => p.in === 'path' && p.name === 'id'));
        assert.ok(withId.length >= 12, `only ${withId.length} routes take an id`);
        const failures: string[] = [];
        for (const op of withId) {
          const { id, path } = target(op);
          for (const written of nonCanonical(id)) {
            const r = await lab().call(op.method, path(written), { key: keyFor(op) });
            try {
              expectError(r, 400, 40003);
            } catch (error) {
              failures.push(`${op.method} ${path(written)}: ${(error as Error).message.split('\n')[0]}`);
            }
          }
        }
        assert.deepEqual(failures, []);
      });

      it('left the records alone: bob is still enabled, the document, folder and job are still there', async () => {
        assert.equal((await lab().call('GET', '/userDetails/whoami', { key: bob.key })).status, 200);
        assert.equal((await lab().call('GET', `/documents/${ids.documents}`, { key: alice.key })).status, 200);
        assert.equal((await lab().call('GET', `/folders/${ids.folders}`, { key: alice.key })).status, 200);
        assert.equal((await lab().call('GET', `/jobs/${ids.jobs}`, { key: alice.key })).status, 200);
      });

      it('still finds a record by its digits, leading zeros and all, and answers 404 past the storable range', async () => {
        assert.equal((await lab().call('GET', `/documents/${ids.documents}`, { key: alice.key })).status, 200);
        assert.equal((await lab().call('GET', `/documents/00${ids.documents}`, { key: alice.key })).status, 200);
        expectError(await lab().call('GET', '/documents/99999999999999999999', { key: alice.key }), 404, 40402);
        expectError(await lab().call('GET', '/jobs/2147483648', { key: alice.key }), 404, 40402);
      });

      it('refuses a non-canonical id given as a string in a JSON body, and takes a canonical one', async () => {
        for (const written of nonCanonical(ids.folders!).map(decodeURIComponent)) {
          // A body's type errors are invalid fields (40002), as ajv's are.
          expectError(await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Inner', parentFolderId: written } }), 400, 40002);
          expectError(await lab().call('POST', '/documents', { key: alice.key, body: { parentFolderId: written } }), 400, 40002);
        }
        const r = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Inner', parentFolderId: String(ids.folders) } });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.parentFolderId, ids.folders);
      });
    });

    describe('paging parameters (issue 7, items 4 and 6)', () => {
      const bad = ['Infinity', '-Infinity', '1e999', '-1e999', '9'.repeat(400), '0x10', '+5', '1e1', '5.0', '%205', 'NaN'];

      it('answers 400 in the error shape, never 500, on every paginated route', async () => {
        const paginated = (await operations(lab().call)).filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'pageSize'));
        assert.deepEqual(paginated.map((op) => op.path).sort(), ['/documents', '/folders/tree', '/folders/tree/{id}', '/jobs', '/me/notifications/deliveries', '/sysadmin/users']);
        const failures: string[] = [];
        for (const op of paginated) {
          const path = op.path.replace('{id}', String(ids.folders));
          for (const name of ['pageSize', 'pageNumber']) {
            for (const value of bad) {
              const r = await lab().call('GET', `${path}?${name}=${value}`, { key: keyFor(op) });
              try {
                expectError(r, 400, 40003);
              } catch (error) {
                failures.push(`${path}?${name}=${value.slice(0, 20)}: ${(error as Error).message.split('\n')[0]}`);
              }
            }
          }
          assert.equal((await lab().call('GET', `${path}?pageSize=5&pageNumber=0`, { key: keyFor(op) })).status, 200);
        }
        assert.deepEqual(failures, []);
      });
    });

    describe('NUL characters are refused with 400 wherever text comes in (issue 7, item 4)', () => {
      const nul = 'a\u0000b';

      async function refusedAndNothingChanged(answer: () => Promise<Answer>): Promise<void> {
        const before = await contentCounts(lab());
        const r = await answer();
        const body = expectError(r, 400, 40002);
        assert.match(body.message, /NUL/);
        assert.deepEqual(await contentCounts(lab()), before);
      }

      it('in a document name, its tags and its field content, on create and on change', async () => {
        const post = (body: unknown) => () => lab().call('POST', '/documents', { key: alice.key, body });
        const put = (body: unknown) => () => lab().call('PUT', `/documents/${ids.documents}`, { key: alice.key, body });
        await refusedAndNothingChanged(post({ name: nul }));
        await refusedAndNothingChanged(post({ tags: `x,${nul}` }));
        await refusedAndNothingChanged(post({ fields: [{ content: `<p>${nul}</p>` }] }));
        await refusedAndNothingChanged(put({ name: nul }));
        await refusedAndNothingChanged(put({ tags: nul }));
        await refusedAndNothingChanged(put({ fields: [{ content: nul }] }));
      });

      it('in a folder name, a user and a group', async () => {
        await refusedAndNothingChanged(() => lab().call('POST', '/folders', { key: alice.key, body: { name: nul } }));
        const user = { username: 'carol', email: 'carol@test.lab', firstName: 'Carol', lastName: 'Tester', password: 'password123', role: 'ROLE_USER' };
        for (const field of ['username', 'email', 'firstName', 'lastName', 'affiliation'] as const) {
          await refusedAndNothingChanged(() => lab().call('POST', '/sysadmin/users', { body: { ...user, [field]: nul } }));
        }
        await refusedAndNothingChanged(() =>
          lab().call('POST', '/sysadmin/groups', { body: { displayName: nul, type: 'LAB_GROUP', members: [{ username: 'bob', roleInGroup: 'PI' }] } }),
        );
      });

      it('in a search query and other query and path values', async () => {
        await refusedAndNothingChanged(() => lab().call('GET', '/documents?query=a%00b', { key: alice.key }));
        await refusedAndNothingChanged(() => lab().call('GET', '/folders/tree?typesToInclude=document%00', { key: alice.key }));
        await refusedAndNothingChanged(() => lab().call('GET', '/export/a%00b.zip', { key: alice.key }));
        await refusedAndNothingChanged(() => lab().call('POST', '/export/html/selection?selections=1%00', { key: alice.key }));
      });

      it('in an object key of a JSON body', async () => {
        await refusedAndNothingChanged(() => lab().call('POST', '/folders', { key: alice.key, body: `{"name":"ok","x\\u0000":1}` }));
      });
    });
  });
});
