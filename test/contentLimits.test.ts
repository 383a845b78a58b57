import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { contentLimits } from '../src/domain/contentLimits.js';
import { actingAs, expectError, forEachDatabase, useLab, type Account } from './support/lab.js';

/**
 * Issue 7: a field of a million nested <div> held the server for 403 s. Field content now has a
 * size limit (UTF-8 bytes) and a nesting limit, refused with 400/40003 before it is parsed.
 */

const limit = contentLimits.fieldBytes;

/** Exactly `bytes` of UTF-8 in a paragraph, written with two-byte characters so bytes and characters differ. */
function paragraphOf(bytes: number): string {
  const frame = '<p></p>'.length;
  const body = 'é'.repeat(Math.floor((bytes - frame) / 2)) + 'x'.repeat((bytes - frame) % 2);
  return `<p>${body}</p>`;
}

function nested(depth: number): string {
  return `${'<div>'.repeat(depth)}deep${'</div>'.repeat(depth)}`;
}

forEachDatabase((kind) => {
  describe('field content limits', () => {
    const lab = useLab(kind);
    let alice: Account;
    const as = () => actingAs(lab, alice);

    async function documentCount(): Promise<number> {
      return (await as().get('/documents?pageSize=1')).body.totalHits;
    }

    before(async () => {
      alice = await lab().createUser('alice');
    });

    it('takes a field of exactly the size limit, in UTF-8 bytes', async () => {
      const content = paragraphOf(limit);
      assert.equal(Buffer.byteLength(content), limit);
      const r = await as().post('/documents', { name: 'At the limit', fields: [{ content }] });
      assert.equal(r.status, 201, r.text.slice(0, 500));
      assert.equal(r.body.fields[0].content, content);
    });

    it('refuses a field one byte over, naming the field and the limit, and stores nothing', async () => {
      const before = await documentCount();
      const r = await as().post('/documents', { name: 'Too big', fields: [{ content: paragraphOf(limit + 1) }] });
      const body = expectError(r, 400, 40003);
      assert.match(body.message, /^fields\[0\]\.content holds 2 MiB \(2097153 bytes of UTF-8\); a field may hold at most 2 MiB \(2097152 bytes\)$/);
      assert.equal(body.data.validationErrors[0].field, 'fields[0].content');
      assert.equal(await documentCount(), before);
    });

    it('refuses a field one level too deep, and takes one at the nesting limit', async () => {
      const r = await as().post('/documents', { name: 'Too deep', fields: [{ content: nested(contentLimits.nestingDepth + 1) }] });
      const body = expectError(r, 400, 40003);
      assert.equal(body.message, 'fields[0].content nests elements more than 256 deep; a field may nest them at most 256 deep');
      const ok = await as().post('/documents', { name: 'Deep enough', fields: [{ content: nested(contentLimits.nestingDepth) }] });
      assert.equal(ok.status, 201, ok.text.slice(0, 500));
    });

    it('refuses deep nesting of every shape: unclosed tags, implied ends, a field well inside the size limit', async () => {
      for (const content of ['<div>'.repeat(20_000), '<ul><li>'.repeat(300), `<table><tr><td>${'<span>'.repeat(300)}`]) {
        expectError(await as().post('/documents', { fields: [{ content }] }), 400, 40003);
      }
      // Implied end tags close as they go: a thousand unclosed paragraphs nest one deep.
      assert.equal((await as().post('/documents', { fields: [{ content: '<p>x'.repeat(1000) }] })).status, 201);
    });

    it('applies the same limits when a field is changed, and keeps what it held', async () => {
      const created = await as().post('/documents', { name: 'Kept', fields: [{ content: '<p>v1</p>' }] });
      const id = created.body.id;
      const fieldId = created.body.fields[0].id;
      expectError(await as().put(`/documents/${id}`, { fields: [{ id: fieldId, content: paragraphOf(limit + 1) }] }), 400, 40003);
      expectError(await as().put(`/documents/${id}`, { fields: [{ id: fieldId, content: nested(300) }] }), 400, 40003);
      const after = await as().get(`/documents/${id}`);
      assert.equal(after.body.fields[0].content, '<p>v1</p>');
      assert.equal(after.body.version, created.body.version);
    });

    it('names the field of a form with several', async () => {
      const r = await as().post('/documents', { form: { id: 2 }, fields: [{ content: '<p>ok</p>' }, { content: '' }, { content: nested(300) }] });
      assert.match(expectError(r, 400, 40003).message, /^fields\[2\]\.content /);
    });
  });
});
