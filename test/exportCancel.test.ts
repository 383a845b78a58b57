import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachDatabase, useLab, type Account } from './support/lab.js';
import { waitForJob } from './support/archives.js';

const documents = 800;

/** Creates `count` documents, `width` requests at a time. */
async function manyDocuments(call: ReturnType<ReturnType<typeof useLab>>['call'], who: Account, count: number, width = 8): Promise<void> {
  const paragraph = '<p>Absorbance read at 600 nm, triplicates averaged, blank subtracted.</p>'.repeat(20);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        const r = await call('POST', '/documents', { key: who.key, body: { name: `Reading ${i}`, fields: [{ content: paragraph }] } });
        assert.equal(r.status, 201, r.text);
      }
    }),
  );
}

forEachDatabase((kind) => {
  // Regression: a cancel while the builder waited on a query left a stream's rejection unhandled,
  // and Node ended the whole server.
  describe('cancelling a running export', () => {
    const lab = useLab(kind, { ELNPORT_RATE_LIMIT: '1000000' });
    let owner: Account;

    before(async () => {
      owner = await lab().createUser('canceller');
      await manyDocuments(lab().call, owner, documents);
    });

    it('abandons the job, removes its draft, keeps serving, and lets its owner export again', { timeout: 120_000 }, async () => {
      const start = await lab().call('POST', '/export/html/user', { key: owner.key });
      assert.equal(start.status, 202, start.text);
      let job = start.body;
      while (job.status === 'STARTING' || (job.status === 'STARTED' && job.percentComplete === 0)) {
        job = (await lab().call('GET', `/jobs/${start.body.id}`, { key: owner.key })).body;
      }
      assert.equal(job.status, 'STARTED', `the export must still run to be cancelled (make the corpus bigger): ${JSON.stringify(job)}`);
      const cancel = await lab().call('DELETE', `/jobs/${start.body.id}`, { key: owner.key });
      assert.equal(cancel.status, 204, cancel.text);

      const ended = await waitForJob(lab(), owner.key, start.body.id);
      assert.equal(ended.status, 'ABANDONED');
      // The worker notices at its next step; give it a moment to remove what it wrote.
      for (let i = 0; i < 50 && (await lab().stored()).drafts.length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const stored = await lab().stored();
      assert.deepEqual(stored.drafts, [], 'no draft left');
      assert.deepEqual(stored.archives, []);
      assert.equal((await lab().call('GET', '/status', { key: null })).status, 200, 'the server is still up');

      const again = await lab().call('POST', '/export/xml/selection?selections=' + owner.homeFolderId, { key: owner.key });
      assert.equal(again.status, 202, again.text);
      assert.equal((await waitForJob(lab(), owner.key, again.body.id)).status, 'COMPLETED');
    });
  });
});
