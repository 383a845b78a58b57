import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { importAndWait } from './support/archives.js';
import { forEachDatabase, useLab } from './support/lab.js';

const fixtures = path.resolve('../shared/fixtures');

/**
 * What each fixture imports as, each by a user of its own (so none shares another's files):
 * documents, folders and notebooks, comments, files, and the warnings at least expected (what cannot be
 * represented, or looked wrong: files the archive lists but lacks, dates that are not RFC 3339,
 * sha256 values that are not).
 */
const expected: Record<string, { documents: number; folders: number; notebooks: number; comments: number; files: number; warnings: RegExp[] }> = {
  'rspace/ArchiveWithComment.zip': { documents: 2, folders: 0, notebooks: 0, comments: 1, files: 0, warnings: [/not in the archive/] },
  'rspace/RSPAC-1917-1-61chemtest.zip': { documents: 1, folders: 0, notebooks: 0, comments: 0, files: 1, warnings: [/chemi/i] },
  'rspace/RSPAC-871-1-33test.zip': { documents: 1, folders: 0, notebooks: 0, comments: 0, files: 1, warnings: [/chemi/i] },
  'rspace/RSPAC-890.zip': { documents: 9, folders: 2, notebooks: 1, comments: 0, files: 10, warnings: [/sketch/i] },
  'rspace/RSPAC-890b.zip': { documents: 9, folders: 2, notebooks: 1, comments: 0, files: 10, warnings: [/apostropheError/] },
  'rspace/RSpaceArchive1478c129bc4.zip': { documents: 2, folders: 0, notebooks: 0, comments: 1, files: 6, warnings: [] },
  'rspace/v1-35.zip': { documents: 14, folders: 2, notebooks: 1, comments: 0, files: 0, warnings: [] },
  'eln/AI4Green__Export_workbook-2024-08-27-export.eln': { documents: 1, folders: 0, notebooks: 0, comments: 1, files: 3, warnings: [/RFC 3339/] },
  'eln/BenchLineage__benchlineage-0.3.0-demo.eln': { documents: 1, folders: 0, notebooks: 0, comments: 0, files: 20, warnings: [] },
  'eln/OpenSemanticLab__MinimalExample.osl.eln': { documents: 1, folders: 0, notebooks: 0, comments: 0, files: 0, warnings: [] },
  'eln/PASTA__PASTA.eln': { documents: 9, folders: 2, notebooks: 0, comments: 0, files: 7, warnings: [/RFC 3339/, /also listed/i] },
  'eln/PASTA__goldStandard.eln': { documents: 4, folders: 0, notebooks: 0, comments: 0, files: 15, warnings: [/sha256/] },
  'eln/RSpace__RSpace-2023-12-08-14-44-xml-SELECTION-c0bEtpHcnNe-HA.eln': { documents: 2, folders: 0, notebooks: 0, comments: 0, files: 2, warnings: [] },
  'eln/SampleDB__sampledb_export.eln': { documents: 4, folders: 2, notebooks: 0, comments: 2, files: 8, warnings: [/RFC 3339/] },
  'eln/SciLog__export-2026-06-05.eln': { documents: 6, folders: 0, notebooks: 1, comments: 2, files: 2, warnings: [] },
  'eln/datalab__demo_IBPDKL.eln': { documents: 5, folders: 0, notebooks: 0, comments: 0, files: 7, warnings: [/describes .* times/] },
  'eln/elabftw__export.eln': { documents: 12, folders: 0, notebooks: 0, comments: 4, files: 2, warnings: [] },
  'eln/kadi4mat__collections-example.eln': { documents: 4, folders: 0, notebooks: 0, comments: 0, files: 13, warnings: [] },
  'eln/kadi4mat__records-example.eln': { documents: 1, folders: 0, notebooks: 0, comments: 0, files: 4, warnings: [] },
};

forEachDatabase((kind) => {
  describe('importing the fixtures', () => {
    const lab = useLab(kind);

    it('covers every fixture', () => {
      const all = ['rspace', 'eln'].flatMap((dir) => fs.readdirSync(path.join(fixtures, dir)).filter((f) => /\.(zip|eln)$/.test(f)).map((f) => `${dir}/${f}`));
      assert.deepEqual(all.sort(), Object.keys(expected).sort());
    });

    // The readers know no database: every fixture on SQLite, and on PostgreSQL one of each path
    // through them (folders and notebooks, no top folder, a .eln read from its XML, a crate).
    const onBoth = ['rspace/RSPAC-890.zip', 'rspace/RSpaceArchive1478c129bc4.zip', 'eln/RSpace__RSpace-2023-12-08-14-44-xml-SELECTION-c0bEtpHcnNe-HA.eln', 'eln/elabftw__export.eln'];
    for (const [n, [fixture, want]] of Object.entries(expected).entries()) {
      if (kind === 'postgres' && !onBoth.includes(fixture)) continue;
      it(`imports ${fixture}: ${want.documents} documents, ${want.files} files`, async () => {
        const who = await lab().createUser(`importer${n}`);
        const job = await importAndWait(lab(), who.key, path.join(fixtures, fixture));
        assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
        const { counts, warnings, folderId, ids } = job.result;
        assert.deepEqual(
          { documents: counts.documents, folders: counts.folders, notebooks: counts.notebooks, comments: counts.comments, files: counts.files + counts.filesReused },
          { documents: want.documents, folders: want.folders, notebooks: want.notebooks, comments: want.comments, files: want.files },
        );
        for (const pattern of want.warnings) assert.ok(warnings.some((w: string) => pattern.test(w)), `no warning like ${pattern}: ${JSON.stringify(warnings)}`);
        const folder = await lab().call('GET', `/folders/${folderId}`, { key: who.key });
        assert.equal(folder.body.name, path.basename(fixture).replace(/\.(zip|eln)$/, ''));
        // Every document the result names is the importer's, readable, with its fields.
        const documents = await lab().call('GET', `/documents?pageSize=100`, { key: who.key });
        assert.equal(documents.body.totalHits, want.documents);
        assert.equal(Object.keys(ids).length >= want.documents + want.folders + want.notebooks, true);
      });
    }

    it('attaches every file a document holds, whether or not its text shows it', async () => {
      const who = await lab().createUser('attacher');
      const job = await importAndWait(lab(), who.key, path.join(fixtures, 'eln/kadi4mat__records-example.eln'));
      assert.equal(job.status, 'COMPLETED');
      const documents = await lab().call('GET', '/documents', { key: who.key });
      assert.equal(documents.body.documents.length, 1);
      const doc = await lab().call('GET', `/documents/${documents.body.documents[0].id}`, { key: who.key });
      const files = doc.body.fields.flatMap((f: any) => f.files.map((file: any) => file.name));
      assert.equal(files.length, 4, JSON.stringify(files));
      assert.doesNotMatch(JSON.stringify(doc.body.fields.map((f: any) => f.content)), /fileId=/);
    });

    it('names each file of PASTA goldStandard whose sha256 is wrong, and imports it as its bytes are', async () => {
      const who = await lab().createUser('checker');
      const job = await importAndWait(lab(), who.key, path.join(fixtures, 'eln/PASTA__goldStandard.eln'));
      const shaWarnings = job.result.warnings.filter((w: string) => /sha256/.test(w));
      assert.equal(shaWarnings.length, 15, JSON.stringify(shaWarnings));
      for (const warning of shaWarnings) assert.match(warning, /"[^"]+"/);
      assert.equal(job.result.counts.files, 15);
    });
  });
});
