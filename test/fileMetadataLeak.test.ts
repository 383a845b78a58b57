import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { actingAs, createCast, expectError, forEachDatabase, useLab, type Account } from './support/lab.js';
import { upload } from './support/labWork.js';

/**
 * Issue 7 item 3: a file is listed only to those who may read it, wherever it is listed. pat, PI
 * of alice's lab, attaches alice's file to his own document; quinn, PI of a lab pat belongs to,
 * reads pat's work but not alice's, so to quinn the file must not exist, in a document as on its own.
 */
forEachDatabase((kind) => {
  describe('file metadata is shown only to readers of the file', () => {
    const lab = useLab(kind);
    let alice: Account;
    let pi: Account;
    let quinn: Account;
    let fileId: number;
    let documentId: number;
    let fieldId: number;

    before(async () => {
      ({ alice, pi } = await createCast(lab()));
      quinn = await lab().createUser('quinn', 'ROLE_PI');
      await lab().createGroup('Quinn lab', [
        { username: 'quinn', roleInGroup: 'PI' },
        { username: 'pat', roleInGroup: 'DEFAULT' },
      ]);
      fileId = await upload(lab(), alice, 'patient-42 results.csv', 'text/csv', Buffer.from('id,result\n42,positive\n'), 'confidential');
      const created = await actingAs(lab, pi).post('/documents', { name: 'Review', fields: [{ content: `<p>See <fileId=${fileId}></p>` }] });
      assert.equal(created.status, 201, created.text);
      documentId = created.body.id;
      fieldId = created.body.fields[0].id;
    });

    const filesOfField = (document: any) => document.fields.find((f: { id: number }) => f.id === fieldId).files;

    it("lists the file in the document for the document's owner, who may read it", async () => {
      const r = await actingAs(lab, pi).get(`/documents/${documentId}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(filesOfField(r.body).map((f: { id: number; caption: string }) => [f.id, f.caption]), [[fileId, 'confidential']]);
    });

    it('leaves the file out of the document for a reader of the document who may not read the file', async () => {
      expectError(await actingAs(lab, quinn).get(`/files/${fileId}`), 404, 40402);
      const r = await actingAs(lab, quinn).get(`/documents/${documentId}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(filesOfField(r.body), []);
      for (const secret of ['confidential', 'id,result', String(Buffer.from('id,result\n42,positive\n').length)]) {
        assert.ok(!JSON.stringify(filesOfField(r.body)).includes(secret), `${secret} leaked`);
      }
    });

    it('leaves the file out of the answer to a save by an owner who can no longer read it', async () => {
      // pat leaves alice's lab: the file stays referenced, but pat may read it no more.
      const { db } = lab().server.store;
      const group = await db.selectFrom('lab_groups').select('id').where('name', '=', 'Pat lab').executeTakeFirstOrThrow();
      await db.deleteFrom('group_members').where('group_id', '=', group.id).where('user_id', '=', pi.id).execute();
      try {
        expectError(await actingAs(lab, pi).get(`/files/${fileId}`), 404, 40402);
        const saved = await actingAs(lab, pi).put(`/documents/${documentId}`, { name: 'Review, renamed' });
        assert.equal(saved.status, 200, saved.text);
        assert.deepEqual(filesOfField(saved.body), []);
        const read = await actingAs(lab, pi).get(`/documents/${documentId}`);
        assert.deepEqual(filesOfField(read.body), []);
      } finally {
        await db.insertInto('group_members').values({ group_id: group.id, user_id: pi.id, role: 'PI', view_all: 0 }).execute();
      }
    });

    it('keeps the file out of folder listings for those who may not read it', async () => {
      const gallery = (await actingAs(lab, alice).get(`/files/${fileId}`)).body.parentFolderId;
      const listed = await actingAs(lab, pi).get(`/folders/tree/${gallery}?typesToInclude=media`);
      assert.equal(listed.status, 200, listed.text);
      assert.deepEqual(listed.body.records.map((r: { id: number }) => r.id), [fileId]);
      expectError(await actingAs(lab, quinn).get(`/folders/tree/${gallery}?typesToInclude=media`), 404, 40402);
      // What quinn may list of pat's holds pat's document, not alice's file attached to it.
      const home = await actingAs(lab, quinn).get(`/folders/tree/${pi.homeFolderId}`);
      assert.equal(home.status, 200, home.text);
      assert.deepEqual(home.body.records.map((r: { id: number }) => r.id), [documentId]);
    });
  });
});
