import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { actingAs, createCast, expectError, isoDate, forEachDatabase, sysadminKey, useLab, type Account, type Answer } from './support/lab.js';

forEachDatabase((kind) => {
  describe('documents', () => {
    const lab = useLab(kind);
    let alice: Account;
    let bob: Account;
    let pi: Account;

    before(async () => {
      ({ alice, bob, pi } = await createCast(lab()));
    });

    const as = (who: Account) => actingAs(lab, who);

    async function create(who: Account, body: Record<string, unknown>): Promise<Answer> {
      const r = await as(who).post('/documents', body);
      assert.equal(r.status, 201, r.text);
      return r;
    }

    async function totalHits(who: Account, query = ''): Promise<number> {
      const r = await as(who).get(`/documents?pageSize=1${query ? `&query=${encodeURIComponent(query)}` : ''}`);
      assert.equal(r.status, 200, r.text);
      return r.body.totalHits;
    }

    async function listed(who: Account, query: string): Promise<number[]> {
      const r = await as(who).get(`/documents?pageSize=100&query=${encodeURIComponent(query)}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalHits, r.body.documents.length);
      return r.body.documents.map((d: { id: number }) => d.id).sort((a: number, b: number) => a - b);
    }

    async function upload(who: Account, name: string, type: string, bytes: string): Promise<{ id: number; name: string }> {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type }), name);
      const response = await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: who.key }, body: form });
      const text = await response.text();
      assert.equal(response.status, 201, text);
      return JSON.parse(text);
    }

    function versionRows(documentId: number) {
      return lab()
        .server.store.db.selectFrom('document_versions')
        .selectAll()
        .where('document_id', '=', documentId)
        .orderBy('version')
        .execute();
    }

    describe('POST /documents', () => {
      it('creates a Basic Document in the home folder by default', async () => {
        const r = await create(alice, {});
        const doc = r.body;
        assert.equal(doc.name, 'Untitled document');
        assert.equal(doc.globalId, `SD${doc.id}`);
        assert.equal(doc.version, 1);
        assert.equal(doc.parentFolderId, alice.homeFolderId);
        assert.equal(doc.tags, '');
        assert.equal(doc.signed, false);
        assert.deepEqual(doc.form, { id: 1, globalId: 'FM1', name: 'Basic Document' });
        assert.equal(doc.owner.id, alice.id);
        assert.equal(doc.owner.username, 'alice');
        assert.equal(doc.fields.length, 1);
        assert.equal(doc.fields[0].name, 'Data');
        assert.equal(doc.fields[0].type, 'TEXT');
        assert.equal(doc.fields[0].content, '');
        assert.equal(doc.fields[0].columnIndex, 0);
        assert.deepEqual(doc.fields[0].files, []);
        assert.match(doc.created, isoDate);
        assert.equal(doc.lastModified, doc.created);
      });

      it('creates a document from the Experiment form, filling the fields given', async () => {
        const r = await create(alice, {
          name: 'Growth curve',
          form: { id: 2 },
          fields: [{ content: '<p>Measure growth</p>' }, { name: 'ignored', content: '<ol><li>Inoculate</li></ol>' }],
        });
        assert.deepEqual(r.body.form, { id: 2, globalId: 'FM2', name: 'Experiment' });
        assert.deepEqual(
          r.body.fields.map((f: { name: string; content: string; columnIndex: number; type: string }) => [f.name, f.content, f.columnIndex, f.type]),
          [
            ['Objective', '<p>Measure growth</p>', 0, 'TEXT'],
            ['Method', '<ol><li>Inoculate</li></ol>', 1, 'TEXT'],
            ['Results', '', 2, 'TEXT'],
            ['Conclusion', '', 3, 'TEXT'],
          ],
        );
        const ids = r.body.fields.map((f: { id: number }) => f.id);
        assert.equal(new Set(ids).size, 4);
        assert.deepEqual(r.body.fields.map((f: { globalId: string }) => f.globalId), ids.map((id: number) => `FD${id}`));
      });

      it('refuses more fields than the form has with 400/40002, creating nothing', async () => {
        const before = await totalHits(alice);
        const body = expectError(
          await as(alice).post('/documents', { form: { id: 2 }, fields: [1, 2, 3, 4, 5].map((n) => ({ content: `f${n}` })) }),
          400,
          40002,
        );
        assert.equal(body.data.validationErrors[0].field, 'fields');
        expectError(await as(alice).post('/documents', { fields: [{ content: 'a' }, { content: 'b' }] }), 400, 40002);
        assert.equal(await totalHits(alice), before);
      });

      it('refuses an unknown form with 404', async () => {
        const before = await totalHits(alice);
        expectError(await as(alice).post('/documents', { name: 'No form', form: { id: 999 } }), 404, 40402);
        assert.equal(await totalHits(alice), before);
      });

      it('trims the name and normalises tags', async () => {
        const r = await create(alice, { name: '  Spaced  ', tags: ' chem, bio ,,chem, ' });
        assert.equal(r.body.name, 'Spaced');
        assert.equal(r.body.tags, 'chem,bio');
        expectError(await as(alice).post('/documents', { name: 'n'.repeat(256) }), 400, 40002);
      });

      it('creates a document in a notebook', async () => {
        const nb = await as(alice).post('/folders', { name: 'Daily notes', notebook: true });
        const r = await create(alice, { name: 'Day 1', parentFolderId: nb.body.id });
        assert.equal(r.body.parentFolderId, nb.body.id);
        const tree = await as(alice).get(`/folders/tree/${nb.body.id}`);
        assert.deepEqual(tree.body.records.map((x: { id: number }) => x.id), [r.body.id]);
      });

      it("refuses a parent folder the caller may not write in, creating nothing", async () => {
        const before = await totalHits(alice);
        const bobBefore = await totalHits(bob);
        const piBefore = await totalHits(pi);
        expectError(await as(bob).post('/documents', { name: 'Intruder', parentFolderId: alice.homeFolderId }), 404, 40402);
        expectError(await as(pi).post('/documents', { name: 'From the PI', parentFolderId: alice.homeFolderId }), 401, 40101);
        assert.equal(await totalHits(alice), before);
        assert.equal(await totalHits(bob), bobBefore);
        assert.equal(await totalHits(pi), piBefore);
      });

      it('refuses unreadable or mistyped bodies', async () => {
        expectError(await as(alice).post('/documents', '{"name": '), 400, 40009);
        expectError(await as(alice).post('/documents', { fields: 'not a list' }), 400, 40002);
        expectError(await as(alice).post('/documents', { form: { id: 'two' } }), 400, 40002);
      });
    });

    describe('GET /documents/{id}', () => {
      it("answers the contract's Document JSON", async () => {
        const created = await create(alice, { name: 'Shape', tags: 'x', fields: [{ content: '<p>hello</p>' }] });
        const id = created.body.id;
        const r = await as(alice).get(`/documents/${id}`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, created.body);
        const doc = r.body;
        assert.deepEqual(Object.keys(doc).sort(), [
          '_links', 'created', 'fields', 'form', 'globalId', 'id', 'lastModified', 'name', 'owner', 'parentFolderId', 'signed', 'tags', 'version',
        ]);
        assert.deepEqual(doc._links, [{ link: `${lab().url}/api/v1/documents/${id}`, rel: 'self' }]);
        assert.deepEqual(
          { id: doc.owner.id, username: doc.owner.username, email: doc.owner.email, firstName: doc.owner.firstName, lastName: doc.owner.lastName },
          { id: alice.id, username: 'alice', email: 'alice@test.lab', firstName: 'alice', lastName: 'Tester' },
        );
        assert.deepEqual(Object.keys(doc.fields[0]).sort(), ['columnIndex', 'content', 'files', 'globalId', 'id', 'lastModified', 'name', 'type']);
        assert.match(doc.fields[0].lastModified, isoDate);
        assert.equal(doc.fields[0].content, '<p>hello</p>');
      });

      it('answers 404, not a failure, for ids beyond the database integer range', async () => {
        expectError(await as(alice).get('/documents/99999999999'), 404, 40402);
        expectError(await as(alice).put('/documents/99999999999', { name: 'x' }), 404, 40402);
        expectError(await as(alice).del('/documents/99999999999'), 404, 40402);
        expectError(await as(alice).post('/documents', { form: { id: 99999999999 } }), 404, 40402);
        expectError(await as(alice).post('/documents', { parentFolderId: 99999999999 }), 404, 40402);
        expectError(await as(alice).post('/documents', { fields: [{ content: '<fileId=99999999999>' }] }), 422, 42201);
        expectError(await as(alice).post('/documents', { fields: [{ content: '<docId=99999999999999999999999>' }] }), 422, 42201);
      });

      it('answers 404 for an unknown id or a folder, 400/40003 for a non-numeric id', async () => {
        expectError(await as(alice).get('/documents/987654'), 404, 40402);
        expectError(await as(alice).get(`/documents/${alice.homeFolderId}`), 404, 40402);
        expectError(await as(alice).get('/documents/SD1'), 400, 40003);
      });
    });

    describe('PUT /documents/{id}', () => {
      it('saves a new version and keeps the old one whole', async () => {
        const created = await create(alice, {
          name: 'Versioned',
          tags: 'v1',
          form: { id: 2 },
          fields: [{ content: '<p>first objective</p>' }, { content: '<p>first method</p>' }],
        });
        const id = created.body.id;
        const [objective, method] = created.body.fields;

        const r = await as(alice).put(`/documents/${id}`, {
          name: 'Versioned, revised',
          tags: 'v2',
          fields: [{ id: method.id, content: '<p>second method</p>' }],
        });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.version, 2);
        assert.equal(r.body.name, 'Versioned, revised');
        assert.equal(r.body.tags, 'v2');
        assert.ok(r.body.lastModified >= created.body.lastModified);
        assert.equal(r.body.created, created.body.created);

        const got = await as(alice).get(`/documents/${id}`);
        assert.equal(got.body.version, 2);
        assert.deepEqual(got.body.fields.map((f: { content: string }) => f.content), [
          '<p>first objective</p>', '<p>second method</p>', '', '',
        ]);
        assert.deepEqual(got.body.fields.map((f: { id: number }) => f.id), created.body.fields.map((f: { id: number }) => f.id));

        const third = await as(alice).put(`/documents/${id}`, { fields: [{ content: '<p>third objective</p>' }, { id: method.id }] });
        assert.equal(third.status, 200, third.text);
        assert.equal(third.body.version, 3);
        assert.equal(third.body.fields[0].id, objective.id);
        assert.equal(third.body.fields[0].content, '<p>third objective</p>');
        assert.equal(third.body.name, 'Versioned, revised');
        assert.equal(third.body.fields[1].content, '<p>second method</p>');

        const versions = await versionRows(id);
        assert.deepEqual(versions.map((v) => [v.version, v.name, v.tags]), [
          [1, 'Versioned', 'v1'],
          [2, 'Versioned, revised', 'v2'],
        ]);
        const fieldsOf = (json: string) => (JSON.parse(json) as { id: number; content: string }[]).map((f) => [f.id, f.content]);
        assert.deepEqual(fieldsOf(versions[0]!.fields_json), [
          [objective.id, '<p>first objective</p>'], [method.id, '<p>first method</p>'], [created.body.fields[2].id, ''], [created.body.fields[3].id, ''],
        ]);
        assert.deepEqual(fieldsOf(versions[1]!.fields_json)[1], [method.id, '<p>second method</p>']);
        assert.equal(versions[0]!.modified, created.body.lastModified);
      });

      it('numbers concurrent saves one after another, and every answer shows one whole version', async () => {
        const created = await create(alice, { name: 'Busy', fields: [{ content: '<p>v1</p>' }] });
        const id = created.body.id;
        const saves = 8;
        const [puts, gets] = await Promise.all([
          Promise.all(Array.from({ length: saves }, (_x, n) => as(alice).put(`/documents/${id}`, { fields: [{ content: `<p>save ${n}</p>` }] }))),
          Promise.all(Array.from({ length: saves }, () => as(alice).get(`/documents/${id}`))),
        ]);
        const contentAt = new Map<number, string>([[1, '<p>v1</p>']]);
        for (const a of puts) {
          assert.equal(a.status, 200, a.text);
          assert.ok(!contentAt.has(a.body.version), `version ${a.body.version} answered twice`);
          contentAt.set(a.body.version, a.body.fields[0].content);
        }
        assert.deepEqual([...contentAt.keys()].sort((a, b) => a - b), Array.from({ length: saves + 1 }, (_x, i) => i + 1));
        for (const g of gets) assert.equal(g.body.fields[0].content, contentAt.get(g.body.version), `GET showed version ${g.body.version}`);

        const versions = await versionRows(id);
        assert.deepEqual(versions.map((v) => v.version), Array.from({ length: saves }, (_x, i) => i + 1));
        for (const v of versions) {
          const [field] = JSON.parse(v.fields_json) as { content: string }[];
          assert.equal(field!.content, contentAt.get(v.version), `kept version ${v.version}`);
        }
        const latest = await as(alice).get(`/documents/${id}`);
        assert.equal(latest.body.version, saves + 1);
        assert.equal(latest.body.fields[0].content, contentAt.get(saves + 1));
      });

      it("refuses a field that is not the document's, changing nothing", async () => {
        const one = await create(alice, { name: 'One', fields: [{ content: 'one' }] });
        const other = await create(alice, { name: 'Other', fields: [{ content: 'other' }] });
        const body = expectError(
          await as(alice).put(`/documents/${one.body.id}`, { name: 'Renamed', fields: [{ id: other.body.fields[0].id, content: 'stolen' }] }),
          400,
          40002,
        );
        assert.equal(body.data.validationErrors[0].field, 'fields');
        expectError(await as(alice).put(`/documents/${one.body.id}`, { fields: [{ content: 'a' }, { content: 'b' }] }), 400, 40002);
        const after = await as(alice).get(`/documents/${one.body.id}`);
        assert.equal(after.body.version, 1);
        assert.equal(after.body.name, 'One');
        assert.equal(after.body.fields[0].content, 'one');
        assert.equal((await as(alice).get(`/documents/${other.body.id}`)).body.fields[0].content, 'other');
        assert.deepEqual(await versionRows(one.body.id), []);
      });

      it('answers 404 for an unknown document', async () => {
        expectError(await as(alice).put('/documents/987654', { name: 'x' }), 404, 40402);
      });
    });

    describe('DELETE /documents/{id}', () => {
      it('deletes a document: it is gone from GET, listings and the tree', async () => {
        const { body } = await create(alice, { name: 'Short-lived unicorn' });
        assert.deepEqual(await listed(alice, 'short-lived unicorn'), [body.id]);
        const r = await as(alice).del(`/documents/${body.id}`);
        assert.equal(r.status, 204, r.text);
        expectError(await as(alice).get(`/documents/${body.id}`), 404, 40402);
        assert.deepEqual(await listed(alice, 'short-lived unicorn'), []);
        const tree = await as(alice).get('/folders/tree?pageSize=100');
        assert.ok(!tree.body.records.some((x: { id: number }) => x.id === body.id));
        expectError(await as(alice).del(`/documents/${body.id}`), 404, 40402);
        expectError(await as(alice).put(`/documents/${body.id}`, { name: 'back' }), 404, 40402);
      });

      it('refuses a folder id', async () => {
        const folder = await as(alice).post('/folders', { name: 'Not a document' });
        expectError(await as(alice).del(`/documents/${folder.body.id}`), 404, 40402);
        assert.equal((await as(alice).get(`/folders/${folder.body.id}`)).status, 200);
      });
    });

    describe('GET /documents', () => {
      let dana: Account;
      let byName: number;
      let byTag: number;
      let byText: number;
      let percent: number;
      let underscore: number;
      let backslash: number;
      let plain: number;

      before(async () => {
        dana = await lab().createUser('dana');
        byName = (await create(dana, { name: 'Titration of Acetic acid' })).body.id;
        byTag = (await create(dana, { name: 'Tagged', tags: 'Chemistry,BUFFERS' })).body.id;
        byText = (await create(dana, { name: 'Observation', fields: [{ content: '<p>A blue <b>Precipitate</b> formed</p>' }] })).body.id;
        percent = (await create(dana, { name: 'Yield was 100% pure' })).body.id;
        underscore = (await create(dana, { name: 'sample_12' })).body.id;
        backslash = (await create(dana, { name: 'C:\\data\\run' })).body.id;
        plain = (await create(dana, { name: 'sample 12 and 100 pure' })).body.id;
      });

      it('finds documents by name, tag or field text, ignoring case', async () => {
        assert.deepEqual(await listed(dana, 'TITRATION'), [byName]);
        assert.deepEqual(await listed(dana, 'acetic ACID'), [byName]);
        assert.deepEqual(await listed(dana, 'buffers'), [byTag]);
        assert.deepEqual(await listed(dana, 'chemistry'), [byTag]);
        assert.deepEqual(await listed(dana, 'precipitate'), [byText]);
        assert.deepEqual(await listed(dana, 'no such words anywhere'), []);
        assert.deepEqual(await listed(dana, '  titration  '), [byName]);
        assert.equal((await listed(dana, '')).length, 7);
      });

      it('takes % and _ and \\ in the query literally', async () => {
        assert.deepEqual(await listed(dana, '%'), [percent]);
        assert.deepEqual(await listed(dana, '100%'), [percent]);
        assert.deepEqual(await listed(dana, '0% p'), [percent]);
        assert.deepEqual(await listed(dana, '_'), [underscore]);
        assert.deepEqual(await listed(dana, 'sample_1'), [underscore]);
        assert.deepEqual(await listed(dana, '\\'), [backslash]);
        assert.deepEqual(await listed(dana, 'c:\\data'), [backslash]);
        assert.deepEqual(await listed(dana, 'sample 12'), [plain]);
      });

      it('searches what a reader sees of field text, not its markup', async () => {
        const erin = await lab().createUser('erin');
        const marked = (await create(erin, { name: 'Marked', fields: [{ content: '<p>pH <strong>7.4</strong>; a &lt; b &amp; c&nbsp;d</p>' }] })).body.id;
        assert.deepEqual(await listed(erin, 'strong'), [], 'tag names are not text');
        assert.deepEqual(await listed(erin, 'ph 7.4'), [marked], 'text either side of a tag reads as one');
        assert.deepEqual(await listed(erin, 'a < b & c d'), [marked], 'entities read as the characters they stand for');
        await as(erin).put(`/documents/${marked}`, { fields: [{ content: '<p>replaced</p>' }] });
        assert.deepEqual(await listed(erin, 'ph 7.4'), [], 'a save replaces the searchable text');
        assert.deepEqual(await listed(erin, 'replaced'), [marked]);
      });

      it('pages through the results, following the links', async () => {
        const first = await as(dana).get('/documents?pageSize=3&orderBy=name%20asc');
        assert.equal(first.status, 200, first.text);
        assert.equal(first.body.totalHits, 7);
        assert.deepEqual(first.body.documents.map((d: { name: string }) => d.name), ['C:\\data\\run', 'Observation', 'sample 12 and 100 pure']);
        assert.deepEqual(first.body._links.map((l: { rel: string }) => l.rel), ['first', 'next', 'last', 'self']);
        const next = first.body._links.find((l: { rel: string }) => l.rel === 'next').link;
        assert.ok(next.startsWith(`${lab().url}/api/v1/documents?`), next);
        const response = await fetch(next, { headers: { apiKey: dana.key } });
        const second = await response.json();
        assert.equal(second.pageNumber, 1);
        assert.deepEqual(second.documents.map((d: { name: string }) => d.name), ['sample_12', 'Tagged', 'Titration of Acetic acid']);
        assert.deepEqual(second._links.map((l: { rel: string }) => l.rel), ['first', 'prev', 'next', 'last', 'self']);
        const last = await as(dana).get('/documents?pageSize=3&pageNumber=2&orderBy=name%20asc');
        assert.deepEqual(last.body.documents.map((d: { name: string }) => d.name), ['Yield was 100% pure']);
        assert.deepEqual(last.body._links.map((l: { rel: string }) => l.rel), ['first', 'prev', 'last', 'self']);

        const summary = first.body.documents[0];
        assert.deepEqual(Object.keys(summary).sort(), [
          '_links', 'created', 'form', 'globalId', 'id', 'lastModified', 'name', 'owner', 'parentFolderId', 'signed', 'tags',
        ]);
        assert.equal(summary.id, backslash);
        assert.equal(summary.owner.username, 'dana');
      });

      it('orders by name either way, and by last change, latest first, by default', async () => {
        const names = async (orderBy: string) => {
          const r = await as(dana).get(`/documents?pageSize=100&orderBy=${encodeURIComponent(orderBy)}`);
          assert.equal(r.status, 200, r.text);
          return r.body.documents.map((d: { id: number }) => d.id);
        };
        const ascending = [backslash, byText, plain, underscore, byTag, byName, percent];
        assert.deepEqual(await names('name asc'), ascending);
        assert.deepEqual(await names('name desc'), [...ascending].reverse());
        const creation = [byName, byTag, byText, percent, underscore, backslash, plain];
        assert.deepEqual(await names('created asc'), creation);

        const changed = await as(dana).put(`/documents/${byName}`, { tags: 'touched' });
        assert.equal(changed.status, 200, changed.text);
        const byDefault = await as(dana).get('/documents?pageSize=100');
        assert.equal(byDefault.body.documents[0].id, byName);
        assert.deepEqual(await names('lastModified desc'), byDefault.body.documents.map((d: { id: number }) => d.id));
        assert.equal((await names('lastModified asc')).at(-1), byName);
      });

      it('refuses a bad orderBy or page size with 400/40002', async () => {
        expectError(await as(dana).get('/documents?orderBy=owner%20asc'), 400, 40002);
        expectError(await as(dana).get('/documents?orderBy=name%20up'), 400, 40002);
        expectError(await as(dana).get('/documents?pageSize=1000'), 400, 40002);
        expectError(await as(dana).get('/documents?pageNumber=x'), 400, 40003);
      });

      it("lets only a lab group's PI and its view-all lab admins read the members' work", async () => {
        const [bert, quinn, rita, lena, lou] = [
          await lab().createUser('bert'),
          await lab().createUser('quinn', 'ROLE_PI'),
          await lab().createUser('rita', 'ROLE_PI'),
          await lab().createUser('lena'),
          await lab().createUser('lou'),
        ];
        await lab().createGroup('Project X', [
          { username: 'quinn', roleInGroup: 'PI' },
          { username: 'bert', roleInGroup: 'DEFAULT' },
        ], 'PROJECT_GROUP');
        await lab().createGroup('Rita lab', [
          { username: 'rita', roleInGroup: 'PI' },
          { username: 'bert', roleInGroup: 'DEFAULT' },
          { username: 'lena', roleInGroup: 'RS_LAB_ADMIN', viewAll: true },
          { username: 'lou', roleInGroup: 'RS_LAB_ADMIN' },
        ]);
        const work = (await create(bert!, { name: 'Quokka census' })).body.id;
        assert.deepEqual(await listed(rita!, 'quokka'), [work]);
        assert.deepEqual(await listed(lena!, 'quokka'), [work]);
        assert.deepEqual(await listed(quinn!, 'quokka'), []);
        assert.deepEqual(await listed(lou!, 'quokka'), []);
        assert.equal((await as(lena!).get(`/documents/${work}`)).status, 200);
        expectError(await as(quinn!).get(`/documents/${work}`), 404, 40402);
        expectError(await as(lou!).get(`/documents/${work}`), 404, 40402);
        expectError(await as(lena!).put(`/documents/${work}`, { name: 'by the admin' }), 401, 40101);
        // Oversight runs one way: the members do not read their lab admin's work.
        const lenas = (await create(lena!, { name: 'Quokka admin notes' })).body.id;
        assert.deepEqual(await listed(bert!, 'quokka'), [work]);
        expectError(await as(bert!).get(`/documents/${lenas}`), 404, 40402);
      });

      it("lists only readable documents: a PI sees the members' work, no one else sees it", async () => {
        const secret = (await create(alice, { name: 'Zanzibar plan', tags: 'private' })).body.id;
        const piOwn = (await create(pi, { name: 'Zanzibar budget' })).body.id;
        const bobOwn = (await create(bob, { name: 'Zanzibar trip' })).body.id;

        assert.deepEqual(await listed(alice, 'zanzibar'), [secret]);
        assert.deepEqual(await listed(bob, 'zanzibar'), [bobOwn]);
        assert.deepEqual(await listed(dana, 'zanzibar'), []);
        assert.deepEqual(await listed(pi, 'zanzibar'), [secret, piOwn]);
        const sysadmin = await lab().call('GET', '/documents?pageSize=100&query=zanzibar', { key: sysadminKey });
        assert.deepEqual(sysadmin.body.documents.map((d: { id: number }) => d.id).sort((a: number, b: number) => a - b), [secret, piOwn, bobOwn]);

        const all = await as(bob).get('/documents?pageSize=100');
        assert.ok(all.body.documents.every((d: { owner: { id: number } }) => d.owner.id === bob.id));
        const piAll = await as(pi).get('/documents?pageSize=100');
        assert.ok(piAll.body.documents.every((d: { owner: { id: number } }) => d.owner.id === pi.id || d.owner.id === alice.id));
        const alicesSeenByPi = piAll.body.documents.filter((d: { owner: { id: number } }) => d.owner.id === alice.id).length;
        assert.equal(alicesSeenByPi, await totalHits(alice));
      });
    });

    describe('references to files and documents', () => {
      let note: { id: number; name: string };
      let picture: { id: number; name: string };
      let target: number;
      let bobsFile: { id: number };
      let bobsDoc: number;

      before(async () => {
        note = await upload(alice, 'notes.txt', 'text/plain', 'some notes');
        picture = await upload(alice, "gel <1> & 'b'.png", 'image/png', 'not really a png');
        target = (await create(alice, { name: 'Protocol <v2>' })).body.id;
        bobsFile = await upload(bob, 'bob.txt', 'text/plain', 'bob');
        bobsDoc = (await create(bob, { name: "Bob's document" })).body.id;
      });

      it('turns <fileId=N> and <docId=N> into references', async () => {
        const r = await create(alice, {
          name: 'With references',
          form: { id: 2 },
          fields: [
            { content: `<p>See <fileId=${note.id}> and <docId=${target}>.</p>` },
            { content: `<p><fileId=${picture.id}></p>` },
          ],
        });
        const [first, second] = r.body.fields;
        assert.equal(
          first.content,
          `<p>See <a href="/api/v1/files/${note.id}/file" data-file-id="${note.id}">notes.txt</a> and ` +
            `<a href="/globalId/SD${target}" data-doc-id="${target}">Protocol &#60;v2&#62;</a>.</p>`,
        );
        assert.equal(second.content, `<p><img src="/api/v1/files/${picture.id}/file" alt="gel &#60;1&#62; &#38; &#39;b&#39;.png" data-file-id="${picture.id}" /></p>`);
        assert.deepEqual(first.files.map((f: { id: number; name: string; contentType: string }) => [f.id, f.name, f.contentType]), [
          [note.id, 'notes.txt', 'text/plain'],
        ]);
        assert.equal(first.files[0].globalId, `GL${note.id}`);
        assert.deepEqual(second.files.map((f: { id: number }) => f.id), [picture.id]);

        const got = await as(alice).get(`/documents/${r.body.id}`);
        assert.deepEqual(got.body.fields, r.body.fields);
        const db = lab().server.store.db;
        const links = await db.selectFrom('field_links').select(['field_id', 'target_id']).where('field_id', '=', first.id).execute();
        assert.deepEqual(links, [{ field_id: first.id, target_id: target }]);
      });

      it('keeps references when the content is saved again, and drops the ones removed', async () => {
        const r = await create(alice, { name: 'Resaved', fields: [{ content: `<p><fileId=${note.id}></p>` }] });
        const again = await as(alice).put(`/documents/${r.body.id}`, { fields: [{ content: r.body.fields[0].content + '<p>more</p>' }] });
        assert.equal(again.status, 200, again.text);
        assert.deepEqual(again.body.fields[0].files.map((f: { id: number }) => f.id), [note.id]);
        const cleared = await as(alice).put(`/documents/${r.body.id}`, { fields: [{ content: '<p>nothing attached</p>' }] });
        assert.deepEqual(cleared.body.fields[0].files, []);
      });

      it('refuses a reference to a missing or unreadable file or document with 422, creating nothing', async () => {
        const deleted = (await create(alice, { name: 'Deleted target' })).body.id;
        assert.equal((await as(alice).del(`/documents/${deleted}`)).status, 204);
        const before = await totalHits(alice);
        const bad = [
          `<fileId=987654>`,
          `<docId=987654>`,
          `<fileId=${bobsFile.id}>`,
          `<docId=${bobsDoc}>`,
          `<docId=${alice.homeFolderId}>`,
          `<docId=${note.id}>`,
          `<fileId=${target}>`,
          `<docId=${deleted}>`,
          `<p>fine <fileId=${note.id}> but <docId=${bobsDoc}></p>`,
          `<a href="/x" data-file-id="${bobsFile.id}">x</a>`,
        ];
        for (const content of bad) {
          const body = expectError(await as(alice).post('/documents', { name: 'Bad reference', fields: [{ content }] }), 422, 42201);
          assert.match(body.message, /does not exist or you may not read/, content);
        }
        assert.equal(await totalHits(alice), before);
      });

      it('refuses an unreadable reference on PUT, changing nothing', async () => {
        const r = await create(alice, { name: 'Stable', fields: [{ content: '<p>stable</p>' }] });
        expectError(await as(alice).put(`/documents/${r.body.id}`, { name: 'Changed', fields: [{ content: `<fileId=${bobsFile.id}>` }] }), 422, 42201);
        const after = await as(alice).get(`/documents/${r.body.id}`);
        assert.equal(after.body.version, 1);
        assert.equal(after.body.name, 'Stable');
        assert.equal(after.body.fields[0].content, '<p>stable</p>');
        assert.deepEqual(await versionRows(r.body.id), []);
      });

      it("lets a PI reference a member's file, which the PI may read", async () => {
        const r = await create(pi, { name: 'Review', fields: [{ content: `<fileId=${note.id}>` }] });
        assert.deepEqual(r.body.fields[0].files.map((f: { id: number }) => f.id), [note.id]);
        expectError(await as(alice).post('/documents', { fields: [{ content: `<docId=${r.body.id}>` }] }), 422, 42201);
      });
    });

    describe('refusals', () => {
      let doc: Answer;

      before(async () => {
        doc = await create(alice, { name: 'Guarded', tags: 'g', fields: [{ content: '<p>original</p>' }] });
      });

      async function unchanged(): Promise<void> {
        const r = await as(alice).get(`/documents/${doc.body.id}`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body, doc.body);
        assert.deepEqual(await versionRows(doc.body.id), []);
      }

      it('refuses every call without a key with 401/40101', async () => {
        const id = doc.body.id;
        for (const [method, path, body] of [
          ['GET', '/documents', undefined],
          ['POST', '/documents', { name: 'anon' }],
          ['GET', `/documents/${id}`, undefined],
          ['PUT', `/documents/${id}`, { name: 'anon' }],
          ['DELETE', `/documents/${id}`, undefined],
        ] as const) {
          expectError(await lab().call(method, path, { key: null, body }), 401, 40101);
        }
        await unchanged();
      });

      it('answers a stranger as if the document did not exist', async () => {
        const id = doc.body.id;
        expectError(await as(bob).get(`/documents/${id}`), 404, 40402);
        expectError(await as(bob).put(`/documents/${id}`, { name: 'Mine now', fields: [{ content: 'x' }] }), 404, 40402);
        expectError(await as(bob).del(`/documents/${id}`), 404, 40402);
        await unchanged();
      });

      it("lets the PI read a member's document but not change or delete it", async () => {
        const id = doc.body.id;
        const read = await as(pi).get(`/documents/${id}`);
        assert.equal(read.status, 200, read.text);
        assert.deepEqual(read.body, doc.body);
        expectError(await as(pi).put(`/documents/${id}`, { name: 'PI edit', fields: [{ content: '<p>by the PI</p>' }] }), 401, 40101);
        expectError(await as(pi).del(`/documents/${id}`), 401, 40101);
        await unchanged();
      });

      it("does not let a member read their PI's documents", async () => {
        const mine = await create(pi, { name: 'PI notes' });
        expectError(await as(alice).get(`/documents/${mine.body.id}`), 404, 40402);
      });
    });
  });
});
