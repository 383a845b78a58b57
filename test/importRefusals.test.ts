import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { importAndWait, startImport } from './support/archives.js';
import { expectError, forEachDatabase, sweepOnce, useLab, type Account, type Lab } from './support/lab.js';
import { tempDir } from './support/tempDirs.js';

/**
 * A zip made by Python's zipfile from `entries` (name → text, {link} for a symlink, or {base64}
 * for bytes that are no text), written exactly as named.
 */
function zipOf(entries: Record<string, string | { link: string } | { base64: string }>, name = 'hostile.zip'): string {
  const file = path.join(tempDir('elnport-hostile-'), name);
  const script = `
import base64, json, sys, zipfile
entries = json.loads(sys.argv[2])
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for name, data in entries.items():
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        if isinstance(data, dict) and 'base64' in data:
            z.writestr(info, base64.b64decode(data['base64']))
        elif isinstance(data, dict):
            info.external_attr = 0o120777 << 16
            z.writestr(info, data['link'])
        else:
            z.writestr(info, data)
`;
  execFileSync('python3', ['-c', script, file, JSON.stringify(entries)]);
  return file;
}

/** The smallest RSpace-shaped archive: one document, whose field holds `html`. */
function rspaceDocument(top: string, html: string, before = ''): Record<string, string> {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>${before}<archivalDocument docId="7"><name>Hostile</name><type>NORMAL</type>
<listFields><field id="1"><fieldName>Data</fieldName><fieldType>TEXT</fieldType><fieldData>${html}</fieldData></field></listFields></archivalDocument>`;
  return { [`${top}/doc_Hostile-7/doc_Hostile-7.xml`]: xml };
}

async function recordsOf(lab: Lab, who: Account): Promise<number> {
  const { n } = await lab.server.store.db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_id', '=', who.id)
    .executeTakeFirstOrThrow();
  return Number(n);
}

forEachDatabase((kind) => {
  describe('import refusals', () => {
    const lab = useLab(kind);
    let mallory: Account;
    let alice: Account;

    before(async () => {
      mallory = await lab().createUser('mallory');
      alice = await lab().createUser('alice');
    });

    /** Imports `file` as mallory, expects FAILED with `message`, and that nothing of it is left: no record, no blob once swept. */
    async function refused(file: string, message: RegExp): Promise<void> {
      const records = await recordsOf(lab(), mallory);
      const blobs = (await lab().stored()).blobs;
      const job = await importAndWait(lab(), mallory.key, file);
      assert.equal(job.status, 'FAILED', JSON.stringify(job.result));
      assert.equal(job.result.httpCode, 500);
      assert.match(job.result.message, message);
      assert.equal(await recordsOf(lab(), mallory), records);
      await sweepOnce(lab());
      // Nothing new: the upload and every file stored for the import are gone (a sweep may also have
      // removed older imports' uploads meanwhile).
      assert.deepEqual((await lab().stored()).blobs.filter((b) => !blobs.includes(b)), []);
    }

    it('refuses names that leave the folder, absolute names and symlinks', async () => {
      await refused(zipOf({ 'top/doc_A-1/doc_A-1.xml': '<x/>', '../evil.txt': 'x' }), /"\.\.\/evil\.txt".*nothing was imported/);
      await refused(zipOf({ '/etc/cron.d/evil': 'x' }), /\/etc\/cron\.d\/evil/);
      await refused(zipOf({ 'top/folderTree.xml': '<exportRecordList/>', 'top/link': { link: '/etc/passwd' } }), /symbolic link|symlink/i);
    });

    it('refuses a zip bomb by its compression ratio, before reading it', async () => {
      const file = path.join(tempDir('elnport-bomb-'), 'bomb.zip');
      execFileSync('python3', ['-c', `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    z.writestr('top/folderTree.xml', '<exportRecordList/>')
    z.writestr('top/media_x-1/zeros.bin', b'\\0' * (64 * 1024 * 1024))
`, file]);
      await refused(file, /ratio|ELNPORT_IMPORT_MAX_RATIO/);
    });

    it('refuses XML with a DTD (no external entities, no entity expansion), and nothing of /etc/passwd is stored', async () => {
      const xxe = '<!DOCTYPE archivalDocument [<!ENTITY x SYSTEM "file:///etc/passwd">]>';
      await refused(zipOf(rspaceDocument('top', '&x;', xxe)), /DTD|entit/i);
      const laughs = `<!DOCTYPE archivalDocument [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`;
      await refused(zipOf(rspaceDocument('top', '&c;', laughs)), /DTD|entit/i);
    });

    it('refuses what is not an archive it reads, and a .eln whose metadata is missing or not JSON', async () => {
      const text = path.join(tempDir('elnport-text-'), 'notes.zip');
      fs.writeFileSync(text, 'just some notes, not a zip');
      await refused(text, /zip/i);
      await refused(zipOf({ 'top/readme.txt': 'hello' }), /neither an RSpace XML export.*nor a \.eln/);
      await refused(zipOf({ 'top/ro-crate-metadata.json': '{ not json' }, 'broken.eln'), /ro-crate-metadata\.json/);
    });

    it('keeps a nested archive as a file, never unpacking it', async () => {
      const inner = fs.readFileSync(zipOf({ 'inner/evil.txt': 'x' }));
      const outer = zipOf({
        ...rspaceDocument('top', '<p>see attached</p>'),
        'top/media_inner-9/media_inner-9.xml': '<archivalGalleryMetadata id="9"><fileName>inner.zip</fileName><linkFile>inner.zip</linkFile><name>inner.zip</name><contentType>application/zip</contentType></archivalGalleryMetadata>',
        'top/media_inner-9/inner.zip': { base64: inner.toString('base64') },
      });
      const job = await importAndWait(lab(), mallory.key, outer);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
      const media = await lab().server.store.db.selectFrom('media').innerJoin('records', 'records.id', 'media.record_id').select(['file_name', 'sha256']).where('owner_id', '=', mallory.id).execute();
      // The zip is there, byte for byte, as one file; nothing from inside it is.
      assert.deepEqual(media.filter((m) => m.sha256 === createHash('sha256').update(inner).digest('hex')).map((m) => m.file_name), ['inner.zip']);
      assert.ok(!media.some((m) => m.file_name === 'evil.txt'), media.map((m) => m.file_name).join(', '));
    });

    it("keeps an archive's own <fileId=N> and data-file-id markup from reaching anyone's files", async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(Buffer.from('alice only'))], { type: 'text/plain' }), 'secret.txt');
      const secret = (await (await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: alice.key }, body: form })).json()) as { id: number };
      const html = `&lt;p&gt;&lt;fileId=${secret.id}&gt; &lt;a data-file-id="${secret.id}" href="/api/v1/files/${secret.id}/file"&gt;x&lt;/a&gt; &lt;docId=1&gt;&lt;/p&gt;`;
      const job = await importAndWait(lab(), mallory.key, zipOf(rspaceDocument('top', html)));
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
      const id = job.result.ids.SD7;
      const doc = await lab().call('GET', `/documents/${id}`, { key: mallory.key });
      assert.deepEqual(doc.body.fields[0].files, []);
      assert.doesNotMatch(doc.body.fields[0].content, new RegExp(`data-file-id="${secret.id}"`));
      const links = await lab().server.store.db.selectFrom('field_files').innerJoin('fields', 'fields.id', 'field_files.field_id').select('file_id').where('fields.document_id', '=', id).execute();
      assert.deepEqual(links, []);
    });

    it('refuses an archive of more items than one import may bring in, saying how to raise the limit', async () => {
      await lab().restart({ ELNPORT_IMPORT_MAX_ITEMS: '5' });
      await refused(path.resolve('../shared/fixtures/eln/elabftw__export.eln'), /describes \d+ folders, notebooks, documents and files, more than the 5 .*ELNPORT_IMPORT_MAX_ITEMS/);
    });

    it('refuses an upload over the limit with 413, and stores nothing', async () => {
      const l = lab();
      await l.restart({ ELNPORT_MAX_UPLOAD_MB: '1' });
      const blobs = (await l.stored()).blobs;
      const big = path.join(tempDir('elnport-big-'), 'big.zip');
      fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 1));
      expectError(await startImport(l, mallory.key, big), 413, 41301);
      // Nothing new (the restart's first sweep may meanwhile remove uploads of the imports above).
      assert.deepEqual((await l.stored()).blobs.filter((b) => !blobs.includes(b)), []);
    });
  });
});
