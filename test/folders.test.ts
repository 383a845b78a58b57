import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { actingAs, createCast, expectError, isoDate, forEachDatabase, useLab, type Account, type Answer } from './support/lab.js';

forEachDatabase((kind) => {
  describe('folders and notebooks', () => {
    const lab = useLab(kind);
    let alice: Account;
    let bob: Account;
    let pi: Account;

    before(async () => {
      ({ alice, bob, pi } = await createCast(lab()));
    });

    const as = (who: Account) => actingAs(lab, who);

    async function folder(who: Account, name: string, parentFolderId?: number, notebook?: boolean): Promise<number> {
      const r = await as(who).post('/folders', { name, parentFolderId, notebook });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    }

    async function document(who: Account, name: string, parentFolderId: number): Promise<number> {
      const r = await as(who).post('/documents', { name, parentFolderId });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    }

    async function treeIds(who: Account, folderId: number): Promise<number[]> {
      const r = await as(who).get(`/folders/tree/${folderId}?pageSize=100`);
      assert.equal(r.status, 200, r.text);
      return r.body.records.map((x: { id: number }) => x.id);
    }

    async function listedDocumentIds(who: Account): Promise<number[]> {
      const r = await as(who).get('/documents?pageSize=100');
      assert.equal(r.status, 200, r.text);
      return r.body.documents.map((d: { id: number }) => d.id);
    }

    describe('POST /folders', () => {
      it('creates a folder in the home folder when no parent is given', async () => {
        const r = await as(alice).post('/folders', { name: '  Projects  ' });
        assert.equal(r.status, 201, r.text);
        const { id } = r.body;
        assert.ok(Number.isInteger(id) && id > 0);
        assert.deepEqual(
          { ...r.body, created: undefined, lastModified: undefined },
          {
            id,
            globalId: `FL${id}`,
            name: 'Projects',
            created: undefined,
            lastModified: undefined,
            parentFolderId: alice.homeFolderId,
            notebook: false,
            _links: [{ link: `${lab().url}/api/v1/folders/${id}`, rel: 'self' }],
          },
        );
        assert.match(r.body.created, isoDate);
        assert.equal(r.body.lastModified, r.body.created);
        assert.ok((await treeIds(alice, alice.homeFolderId)).includes(id));
      });

      it('creates a notebook inside a given folder', async () => {
        const parent = await folder(alice, 'Lab work');
        const r = await as(alice).post('/folders', { name: 'Notebook 1', parentFolderId: parent, notebook: true });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.globalId, `NB${r.body.id}`);
        assert.equal(r.body.notebook, true);
        assert.equal(r.body.parentFolderId, parent);
        assert.deepEqual(await treeIds(alice, parent), [r.body.id]);
      });

      it('refuses a notebook as the parent with 422 and creates nothing', async () => {
        const notebook = await folder(alice, 'A notebook', undefined, true);
        expectError(await as(alice).post('/folders', { name: 'Inner', parentFolderId: notebook }), 422, 42201);
        expectError(await as(alice).post('/folders', { name: 'Inner', parentFolderId: notebook, notebook: true }), 422, 42201);
        assert.deepEqual(await treeIds(alice, notebook), []);
      });

      it("refuses another user's folder as the parent and creates nothing", async () => {
        const parent = await folder(alice, 'Private');
        const bobsBefore = await treeIds(bob, bob.homeFolderId);
        expectError(await as(bob).post('/folders', { name: 'Intruder', parentFolderId: parent }), 404, 40402);
        // The PI may read Alice's folder but not write in it.
        expectError(await as(pi).post('/folders', { name: 'From the PI', parentFolderId: parent }), 401, 40101);
        assert.deepEqual(await treeIds(alice, parent), []);
        assert.deepEqual(await treeIds(bob, bob.homeFolderId), bobsBefore);
      });

      it('refuses an unknown parent, or a document as the parent, with 404', async () => {
        expectError(await as(alice).post('/folders', { name: 'Lost', parentFolderId: 987654 }), 404, 40402);
        const doc = await document(alice, 'Not a folder', alice.homeFolderId);
        expectError(await as(alice).post('/folders', { name: 'Lost', parentFolderId: doc }), 404, 40402);
      });

      it('refuses an empty, blank or too long name with 400/40002', async () => {
        const before = await treeIds(alice, alice.homeFolderId);
        const empty = expectError(await as(alice).post('/folders', { name: '' }), 400, 40002);
        assert.equal(empty.data.validationErrors[0].field, 'name');
        expectError(await as(alice).post('/folders', { name: '   ' }), 400, 40002);
        expectError(await as(alice).post('/folders', { name: 'x'.repeat(256) }), 400, 40002);
        assert.deepEqual(await treeIds(alice, alice.homeFolderId), before);
      });

      it('refuses a missing name with 400/40005 and malformed JSON with 400/40009', async () => {
        const missing = expectError(await as(alice).post('/folders', { notebook: true }), 400, 40005);
        assert.match(missing.message, /name/);
        expectError(await as(alice).post('/folders', '{"name": "Broken'), 400, 40009);
        expectError(await as(alice).post('/folders', { name: 'Typed', parentFolderId: 'home' }), 400, 40002);
      });

      it('refuses a caller without a key', async () => {
        expectError(await lab().call('POST', '/folders', { key: null, body: { name: 'Anon' } }), 401, 40101);
      });
    });

    describe('GET /folders/{id}', () => {
      it('answers the owner and the PI of the owner\'s lab group, and no one else', async () => {
        const id = await folder(alice, 'Readable');
        const own = await as(alice).get(`/folders/${id}`);
        assert.equal(own.status, 200, own.text);
        assert.equal(own.body.name, 'Readable');
        assert.equal(own.body.parentFolderId, alice.homeFolderId);

        const byPi = await as(pi).get(`/folders/${id}`);
        assert.equal(byPi.status, 200, byPi.text);
        assert.deepEqual(byPi.body, own.body);

        const refused = expectError(await as(bob).get(`/folders/${id}`), 404, 40402);
        // A refusal must read exactly like a folder that does not exist.
        const missing = expectError(await as(bob).get('/folders/987654'), 404, 40402);
        assert.equal(refused.message.replace(String(id), 'N'), missing.message.replace('987654', 'N'));
      });

      it("does not let a member read their PI's folders", async () => {
        const id = await folder(pi, 'PI only');
        expectError(await as(alice).get(`/folders/${id}`), 404, 40402);
      });

      it('answers 404, not a failure, for an id beyond the database integer range', async () => {
        expectError(await as(alice).get('/folders/99999999999'), 404, 40402);
        expectError(await as(alice).get('/folders/tree/99999999999'), 404, 40402);
        expectError(await as(alice).del('/folders/99999999999'), 404, 40402);
        expectError(await as(alice).post('/folders', { name: 'Far', parentFolderId: 99999999999 }), 404, 40402);
      });

      it('answers 404 for a document id and 400/40003 for a non-numeric id', async () => {
        const doc = await document(alice, 'A document', alice.homeFolderId);
        expectError(await as(alice).get(`/folders/${doc}`), 404, 40402);
        expectError(await as(alice).get('/folders/abc'), 400, 40003);
      });
    });

    describe('DELETE /folders/{id}', () => {
      it('deletes a folder with everything below it', async () => {
        const top = await folder(alice, 'Doomed');
        const inner = await folder(alice, 'Doomed inner', top);
        const notebook = await folder(alice, 'Doomed notebook', top, true);
        const docs = [
          await document(alice, 'doomed 1', top),
          await document(alice, 'doomed 2', inner),
          await document(alice, 'doomed 3', notebook),
        ];
        const keeper = await document(alice, 'keeper', alice.homeFolderId);
        for (const d of docs) assert.ok((await listedDocumentIds(alice)).includes(d));

        const r = await as(alice).del(`/folders/${top}`);
        assert.equal(r.status, 204, r.text);
        assert.equal(r.text, '');

        for (const id of [top, inner, notebook]) expectError(await as(alice).get(`/folders/${id}`), 404, 40402);
        for (const id of docs) expectError(await as(alice).get(`/documents/${id}`), 404, 40402);
        const listed = await listedDocumentIds(alice);
        assert.deepEqual(listed.filter((id) => docs.includes(id)), []);
        assert.ok(listed.includes(keeper));
        assert.ok(!(await treeIds(alice, alice.homeFolderId)).includes(top));
        expectError(await as(alice).del(`/folders/${top}`), 404, 40402);
      });

      it('refuses to delete a root folder with 422', async () => {
        expectError(await as(alice).del(`/folders/${alice.homeFolderId}`), 422, 42201);
        const home = await as(alice).get(`/folders/${alice.homeFolderId}`);
        assert.equal(home.status, 200);
        assert.equal(home.body.parentFolderId, null);
      });

      it('refuses a PI who may read but not write, and deletes nothing', async () => {
        const id = await folder(alice, 'Kept from the PI');
        const doc = await document(alice, 'inside', id);
        expectError(await as(pi).del(`/folders/${id}`), 401, 40101);
        expectError(await as(bob).del(`/folders/${id}`), 404, 40402);
        assert.equal((await as(alice).get(`/folders/${id}`)).status, 200);
        assert.equal((await as(alice).get(`/documents/${doc}`)).status, 200);
        assert.deepEqual(await treeIds(alice, id), [doc]);
      });

      it('refuses a document id: documents are deleted through /documents', async () => {
        const doc = await document(alice, 'not through folders', alice.homeFolderId);
        expectError(await as(alice).del(`/folders/${doc}`), 404, 40402);
        assert.equal((await as(alice).get(`/documents/${doc}`)).status, 200);
      });
    });

    describe('GET /folders/tree', () => {
      let root: number;
      let sub: number;
      let notebook: number;
      let docs: number[];

      before(async () => {
        root = await folder(alice, 'Tree root');
        sub = await folder(alice, 'sub', root);
        notebook = await folder(alice, 'nb', root, true);
        docs = [];
        for (let i = 1; i <= 7; i++) docs.push(await document(alice, `doc ${i}`, root));
      });

      it('lists what a folder holds, with the record shape', async () => {
        const r = await as(alice).get(`/folders/tree/${root}?pageSize=100`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.folderId, root);
        assert.equal(r.body.pageNumber, 0);
        assert.equal(r.body.totalHits, 9);
        assert.deepEqual(new Set(r.body.records.map((x: { id: number }) => x.id)), new Set([sub, notebook, ...docs]));
        const subRecord = r.body.records.find((x: { id: number }) => x.id === sub);
        assert.deepEqual(Object.keys(subRecord).sort(), [
          '_links', 'created', 'globalId', 'id', 'lastModified', 'name', 'owner', 'parentFolderId', 'type',
        ]);
        assert.equal(subRecord.globalId, `FL${sub}`);
        assert.equal(subRecord.type, 'FOLDER');
        assert.equal(subRecord.parentFolderId, root);
        assert.equal(subRecord.owner.id, alice.id);
        assert.equal(subRecord.owner.username, 'alice');
        assert.match(subRecord.created, isoDate);
        const nbRecord = r.body.records.find((x: { id: number }) => x.id === notebook);
        assert.equal(nbRecord.type, 'NOTEBOOK');
        assert.equal(nbRecord.globalId, `NB${notebook}`);
        const docRecord = r.body.records.find((x: { id: number }) => x.id === docs[0]);
        assert.equal(docRecord.type, 'DOCUMENT');
        assert.equal(docRecord.globalId, `SD${docs[0]}`);
        assert.deepEqual(docRecord._links, [{ link: `${lab().url}/api/v1/documents/${docs[0]}`, rel: 'self' }]);
      });

      it("lists the caller's home folder without an id", async () => {
        const r = await as(alice).get('/folders/tree?pageSize=100');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.folderId, alice.homeFolderId);
        assert.ok(r.body.records.some((x: { id: number }) => x.id === root));
        const bobs = await as(bob).get('/folders/tree?pageSize=100');
        assert.equal(bobs.body.folderId, bob.homeFolderId);
        assert.ok(!bobs.body.records.some((x: { id: number }) => x.id === root));
      });

      it('filters by typesToInclude', async () => {
        const only = async (types: string) => {
          const r = await as(alice).get(`/folders/tree/${root}?pageSize=100&typesToInclude=${types}`);
          assert.equal(r.status, 200, r.text);
          assert.equal(r.body.totalHits, r.body.records.length);
          return new Set(r.body.records.map((x: { id: number }) => x.id));
        };
        assert.deepEqual(await only('document'), new Set(docs));
        assert.deepEqual(await only('folder'), new Set([sub]));
        assert.deepEqual(await only('notebook'), new Set([notebook]));
        assert.deepEqual(await only('folder,Notebook'), new Set([sub, notebook]));
        assert.deepEqual(await only('media'), new Set());
      });

      it('lists gallery files as MEDIA', async () => {
        const holder = await folder(alice, 'With a file');
        const form = new FormData();
        form.append('folderId', String(holder));
        form.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'table.csv');
        const upload = await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: alice.key }, body: form });
        const file = await upload.json();
        assert.equal(upload.status, 201, JSON.stringify(file));
        await document(alice, 'beside the file', holder);
        const r = await as(alice).get(`/folders/tree/${holder}?typesToInclude=media`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.totalHits, 1);
        const [media] = r.body.records;
        assert.deepEqual([media.id, media.globalId, media.name, media.type], [file.id, `GL${file.id}`, 'table.csv', 'MEDIA']);
        assert.deepEqual(media._links, [{ link: `${lab().url}/api/v1/files/${file.id}`, rel: 'self' }]);
      });

      it('refuses an unknown typesToInclude with 400/40002', async () => {
        const body = expectError(await as(alice).get(`/folders/tree/${root}?typesToInclude=document,spaceship`), 400, 40002);
        assert.equal(body.data.validationErrors[0].field, 'typesToInclude');
        expectError(await as(alice).get(`/folders/tree/${root}?typesToInclude=,`), 400, 40002);
      });

      it('pages through the records and its links lead from page to page', async () => {
        const names = (r: Answer) => r.body.records.map((x: { name: string }) => x.name);
        const rels = (r: Answer) => r.body._links.map((l: { rel: string }) => l.rel);
        const follow = async (r: Answer, rel: string): Promise<Answer> => {
          const link = r.body._links.find((l: { rel: string }) => l.rel === rel);
          assert.ok(link, `no ${rel} link in ${JSON.stringify(r.body._links)}`);
          assert.ok(link.link.startsWith(`${lab().url}/api/v1/folders/tree/${root}?`), link.link);
          const response = await fetch(link.link, { headers: { apiKey: alice.key } });
          const text = await response.text();
          return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
        };

        const first = await as(alice).get(`/folders/tree/${root}?typesToInclude=document&pageSize=3&orderBy=name%20desc`);
        assert.equal(first.status, 200, first.text);
        assert.equal(first.body.totalHits, 7);
        assert.equal(first.body.pageNumber, 0);
        assert.deepEqual(names(first), ['doc 7', 'doc 6', 'doc 5']);
        assert.deepEqual(rels(first), ['first', 'next', 'last', 'self']);
        const last = new URL(first.body._links.find((l: { rel: string }) => l.rel === 'last').link);
        assert.equal(last.searchParams.get('pageNumber'), '2');
        assert.equal(last.searchParams.get('pageSize'), '3');
        assert.equal(last.searchParams.get('typesToInclude'), 'document');
        assert.equal(last.searchParams.get('orderBy'), 'name desc');

        const second = await follow(first, 'next');
        assert.equal(second.status, 200, second.text);
        assert.equal(second.body.pageNumber, 1);
        assert.equal(second.body.totalHits, 7);
        assert.deepEqual(names(second), ['doc 4', 'doc 3', 'doc 2']);
        assert.deepEqual(rels(second), ['first', 'prev', 'next', 'last', 'self']);

        const third = await follow(second, 'next');
        assert.deepEqual(names(third), ['doc 1']);
        assert.deepEqual(rels(third), ['first', 'prev', 'last', 'self']);
        assert.deepEqual(names(await follow(third, 'prev')), ['doc 4', 'doc 3', 'doc 2']);
        assert.deepEqual(names(await follow(third, 'first')), ['doc 7', 'doc 6', 'doc 5']);

        const beyond = await as(alice).get(`/folders/tree/${root}?typesToInclude=document&pageSize=3&pageNumber=9`);
        assert.equal(beyond.status, 200);
        assert.deepEqual(beyond.body.records, []);
        assert.equal(beyond.body.totalHits, 7);
        assert.deepEqual(names(await follow(beyond, 'prev')), ['doc 7']);
      });

      it('refuses a page size outside 1..100 and a negative page number', async () => {
        expectError(await as(alice).get(`/folders/tree/${root}?pageSize=0`), 400, 40002);
        expectError(await as(alice).get(`/folders/tree/${root}?pageSize=101`), 400, 40002);
        expectError(await as(alice).get(`/folders/tree/${root}?pageNumber=-1`), 400, 40002);
      });

      it('orders by name, ascending or descending, ignoring case', async () => {
        const mixed = await folder(alice, 'Mixed case');
        for (const name of ['delta', 'alpha', 'Charlie', 'bravo']) await document(alice, name, mixed);
        const order = async (orderBy: string) => {
          const r = await as(alice).get(`/folders/tree/${mixed}?orderBy=${encodeURIComponent(orderBy)}`);
          assert.equal(r.status, 200, r.text);
          return r.body.records.map((x: { name: string }) => x.name);
        };
        assert.deepEqual(await order('name asc'), ['alpha', 'bravo', 'Charlie', 'delta']);
        assert.deepEqual(await order('name'), ['alpha', 'bravo', 'Charlie', 'delta']);
        assert.deepEqual(await order('name desc'), ['delta', 'Charlie', 'bravo', 'alpha']);
        assert.deepEqual(await order('created asc'), ['delta', 'alpha', 'Charlie', 'bravo']);
        assert.deepEqual(await order('created desc'), ['bravo', 'Charlie', 'alpha', 'delta']);
      });

      it('refuses an unknown orderBy with 400/40002', async () => {
        for (const orderBy of ['size asc', 'name sideways', 'name; drop table records', 'NAME ASC']) {
          const body = expectError(await as(alice).get(`/folders/tree/${root}?orderBy=${encodeURIComponent(orderBy)}`), 400, 40002);
          assert.equal(body.data.validationErrors[0].field, 'orderBy');
        }
      });

      it("shows a member's folder to their PI but not to a stranger", async () => {
        const r = await as(pi).get(`/folders/tree/${root}?typesToInclude=folder`);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.body.records.map((x: { id: number }) => x.id), [sub]);
        expectError(await as(bob).get(`/folders/tree/${root}`), 404, 40402);
        expectError(await as(alice).get(`/folders/tree/${docs[0]}`), 404, 40402);
      });
    });
  });
});
