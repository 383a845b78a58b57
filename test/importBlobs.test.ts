import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { StagedBlobs } from '../src/import/stagedBlobs.js';
import { insertImportJob } from '../src/store/queries/exportJobs.js';
import { forEachDatabase, sweepOnce, useLab } from './support/lab.js';

forEachDatabase((kind) => {
  describe("an import's stored files", () => {
    const lab = useLab(kind);

    // A worker killed between storing a file and writing its record leaves the file's name, not
    // bytes no row names: once the job is over (given up, or completed by a later attempt) the
    // sweeper removes it. The job's own rows while it runs are left alone.
    it('are named before their bytes are written, and swept once their job is no longer running', async () => {
      const l = lab();
      const { db } = l.server.store;
      const who = await l.createUser('crashy');
      const job = await insertImportJob(db, who.id, { archiveName: 'a.zip', uploadKey: 'none', size: 0, intoFolderId: null }, new Date().toISOString());
      await db.updateTable('export_jobs').set({ status: 'STARTED', worker_id: 'dead' }).where('id', '=', job.id).execute();
      const before = (await l.stored()).blobs;
      const blob = await new StagedBlobs(db, l.server.blobs, job.id).put(Readable.from([Buffer.from('half an import')]));
      assert.deepEqual((await l.stored()).blobs.filter((b) => !before.includes(b)), [blob.key]);

      await sweepOnce(l);
      assert.ok((await l.stored()).blobs.includes(blob.key), 'kept while its job runs');
      await db.updateTable('export_jobs').set({ status: 'FAILED' }).where('id', '=', job.id).execute();
      await sweepOnce(l);
      assert.ok(!(await l.stored()).blobs.includes(blob.key), 'removed once its job is over');
      assert.deepEqual(await db.selectFrom('import_blobs').selectAll().where('job_id', '=', job.id).execute(), []);
    });
  });
});
