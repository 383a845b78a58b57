import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { sanitiserVersion } from '../src/domain/fieldContent.js';
import { keptVersionFields } from '../src/store/queries/fields.js';
import { downloadArchive, exportAndWait, extract } from './support/archives.js';
import { actingAs, forEachDatabase, useLab, type Account } from './support/lab.js';

/**
 * Issue 7: an HTML export sanitised every field again, which cost as much as the save did. Each
 * field now records the sanitiser version that cleaned it, and an export sanitises again only
 * content another version (or an unknown one, from before versions were kept) cleaned.
 */

// Markup today's sanitiser would change (it drops data-note and the script): whether it survives
// the export shows whether the export sanitised it again.
const stored = '<p data-note="as stored">Results</p><script>alert(9)</script>';

forEachDatabase((kind) => {
  describe('sanitiser versions', () => {
    const lab = useLab(kind);
    let alice: Account;
    const as = () => actingAs(lab, alice);
    const db = () => lab().server.store.db;

    before(async () => {
      alice = await lab().createUser('alice');
    });

    async function fieldRow(documentId: number) {
      return db().selectFrom('fields').select(['id', 'sanitiser_version']).where('document_id', '=', documentId).executeTakeFirstOrThrow();
    }

    /** Stores content as it is, with the version given, as content written by some earlier release would be. */
    async function storeAsIs(documentId: number, version: string): Promise<void> {
      const { id } = await fieldRow(documentId);
      await db().updateTable('fields').set({ content: stored, sanitiser_version: version }).where('id', '=', id).execute();
    }

    async function exportedPages(documentId: number, query = ''): Promise<string[]> {
      const job = await exportAndWait(lab(), alice.key, `html/selection?selections=${documentId}${query}`);
      const root = extract(await downloadArchive(lab(), alice.key, job));
      const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' });
      return files.filter((f) => new RegExp(`doc_[^/]*-${documentId}(-rev\\d+)?\\.html$`).test(f)).sort().map((f) => fs.readFileSync(path.join(root, f), 'utf8'));
    }

    it('records the version that cleaned each field on create and on update, and in kept versions', async () => {
      const created = await as().post('/documents', { fields: [{ content: '<p>v1</p>' }] });
      assert.equal(created.status, 201, created.text);
      assert.equal((await fieldRow(created.body.id)).sanitiser_version, sanitiserVersion);
      await db().updateTable('fields').set({ sanitiser_version: 'older' }).where('document_id', '=', created.body.id).execute();
      const updated = await as().put(`/documents/${created.body.id}`, { fields: [{ content: '<p>v2</p>' }] });
      assert.equal(updated.status, 200, updated.text);
      assert.equal((await fieldRow(created.body.id)).sanitiser_version, sanitiserVersion);
      const kept = await keptVersionFields(db(), created.body.id, [created.body.version]);
      assert.equal(kept.get(created.body.version)![0]!.sanitiserVersion, 'older', 'the kept version keeps the version its content had');
    });

    it('gives content stored before versions were recorded the unknown version', async () => {
      const created = await as().post('/documents', { fields: [{ content: '<p>v1</p>' }] });
      const { id } = await fieldRow(created.body.id);
      const row = await db()
        .selectFrom('fields')
        .select(['document_id', 'name', 'type', 'content', 'text', 'modified'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      // The migration's column default is what rows written before it carry.
      const copy = await db().insertInto('fields').values({ ...row, column_index: 1 }).returning('sanitiser_version').executeTakeFirstOrThrow();
      assert.equal(copy.sanitiser_version, 'unknown');
      await db().insertInto('document_versions').values({
        document_id: created.body.id, version: 99, name: 'old', tags: '', modified: row.modified,
        fields_json: JSON.stringify([{ id, name: 'Data', type: 'TEXT', columnIndex: 0, content: '<p>old</p>', modified: row.modified }]),
      }).execute();
      const kept = await keptVersionFields(db(), created.body.id, [99]);
      assert.equal(kept.get(99)![0]!.sanitiserVersion, 'unknown');
    });

    it('an HTML export shows content this sanitiser version cleaned as stored, without sanitising it again', async () => {
      const created = await as().post('/documents', { name: 'Current', fields: [{ content: '<p>x</p>' }] });
      await storeAsIs(created.body.id, sanitiserVersion);
      const [page] = await exportedPages(created.body.id);
      assert.ok(page!.includes(stored), 'stored content was sanitised again');
    });

    it('an HTML export sanitises again content an older or unknown version cleaned, kept versions included', async () => {
      const created = await as().post('/documents', { name: 'Older', fields: [{ content: '<p>x</p>' }] });
      await storeAsIs(created.body.id, 'unknown');
      // The save keeps the field as it was, with its unknown version, as revision history.
      assert.equal((await as().put(`/documents/${created.body.id}`, { name: 'Older, renamed' })).status, 200);
      const pages = await exportedPages(created.body.id, '&includeRevisionHistory=true');
      assert.equal(pages.length, 2);
      for (const page of pages) {
        assert.ok(page.includes('<p>Results</p>'), page);
        assert.ok(!page.includes('data-note') && !page.includes('alert(9)'), 'content of an unknown version reached the page as stored');
      }
    });
  });
});
