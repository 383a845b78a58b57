import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { forEachDatabase, useLab, type Account } from './support/lab.js';
import { upload } from './support/labWork.js';
import { checkZip, downloadArchive, entries, exportAndWait, extract, unresolvedLinks } from './support/archives.js';
import { bitingNames, portabilityProblems } from './support/portableNames.js';

/**
 * Issue 7, item 9: files uploaded under names that bite on some system (device names, trailing
 * dots, bidi and control characters) are exported under names that are safe on all of them, in
 * every format and in both places a file can land (its own media folder, or a copy in a
 * document's folder), and the archive stays valid with every link resolving.
 */
forEachDatabase((kind) => {
  describe('archive entry names made from what users typed', () => {
    const lab = useLab(kind);
    let owner: Account;
    const files = new Map<string, number>();
    let document: number;

    before(async () => {
      owner = await lab().createUser('namer');
      for (const name of bitingNames) files.set(name, await upload(lab(), owner, name, 'text/plain', Buffer.from(`bytes of ${name}\n`)));
      const folder = await lab().call('POST', '/folders', { key: owner.key, body: { name: 'AUX.' } });
      assert.equal(folder.status, 201, folder.text);
      const created = await lab().call('POST', '/documents', {
        key: owner.key,
        body: { name: 'CON', parentFolderId: folder.body.id, fields: [{ content: [...files.values()].map((id) => `<p><fileId=${id}></p>`).join('') }] },
      });
      assert.equal(created.status, 201, created.text);
      document = created.body.id;
    });

    async function archive(pathAndQuery: string): Promise<{ file: string; top: string; names: string[] }> {
      const job = await exportAndWait(lab(), owner.key, pathAndQuery);
      const file = await downloadArchive(lab(), owner.key, job);
      checkZip(file);
      return { file, top: path.basename(file, '.zip'), names: entries(file) };
    }

    function assertSafe(names: string[]): void {
      assert.deepEqual(names.flatMap(portabilityProblems), [], names.join('\n'));
    }

    for (const format of ['html', 'xml'] as const) {
      it(`${format}: every file in its media folder under a safe, readable name`, async () => {
        const { file, top, names } = await archive(`${format}/user`);
        assertSafe(names);
        const media = (raw: string) => names.filter((n) => new RegExp(`^[^/]+/media_[^/]*-${files.get(raw)}/[^/]+$`).test(n) && !/\/media_[^/]*\.(html|xml)$/.test(n));
        for (const [raw, shown] of [['CON', '_CON'], ['NUL.txt', '_NUL.txt'], ['LPT1.html', '_LPT1.html'], ['name.', 'name'], ['\u202egnp.exe', '_gnp.exe']]) {
          assert.deepEqual(media(raw!).map((n) => path.basename(n)), [shown], `${JSON.stringify(raw)}:\n${names.join('\n')}`);
        }
        for (const raw of bitingNames) assert.equal(media(raw).length, 1, `${JSON.stringify(raw)} is in the archive once`);
        const dir = path.join(extract(file), top);
        if (format === 'html') assert.deepEqual(unresolvedLinks(dir), []);
        const con = names.find((n) => n.endsWith(`-${files.get('CON')}/_CON`))!;
        assert.equal(fs.readFileSync(path.join(dir, con.slice(top.length + 1)), 'utf8'), 'bytes of CON\n', 'byte for byte');
      });
    }

    it('html selection: copies in the document folder are safe too, and its links find them', async () => {
      const { file, top, names } = await archive(`html/selection?selections=${document}`);
      assertSafe(names);
      const page = `${top}/doc_CON-${document}/doc_CON-${document}.html`;
      const copies = names.filter((n) => n.startsWith(`${top}/doc_CON-${document}/`) && n !== page);
      assert.equal(copies.length, bitingNames.length, names.join('\n'));
      const folded = copies.map((n) => n.normalize('NFC').toLowerCase());
      assert.equal(new Set(folded).size, folded.length, `names that differ only in case:\n${copies.join('\n')}`);
      for (const shown of ['_CON', '_AUX', '_NUL.txt', '_COM1', '_LPT1.html', 'name', '_gnp.exe']) {
        assert.ok(copies.includes(`${top}/doc_CON-${document}/${shown}`), `${shown}:\n${copies.join('\n')}`);
      }
      assert.deepEqual(unresolvedLinks(path.join(extract(file), top)), []);
    });
  });
});
