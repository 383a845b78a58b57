import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { forEachDatabase, isoDate, useLab } from './support/lab.js';
import { exportAndWait } from './support/archives.js';
import { loseAttachment } from './support/labWork.js';

/**
 * Issue 7 item 10: a FAILED job's result is the error body of its failure, and its
 * iso8601Timestamp is when the job failed, not when it was polled.
 */
forEachDatabase((kind) => {
  describe("a FAILED job's timestamp", () => {
    const lab = useLab(kind);

    it('is the time the job failed, the same at every poll', async () => {
      const frank = await lab().createUser('frank');
      await loseAttachment(lab(), frank);
      const failed = await exportAndWait(lab(), frank.key, 'html/user');
      assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
      assert.match(failed.result.iso8601Timestamp, isoDate);
      // Long enough that a timestamp taken at each poll would differ in its milliseconds.
      await sleep(50);
      const again = await lab().call('GET', `/jobs/${failed.id}`, { key: frank.key });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.result.iso8601Timestamp, failed.result.iso8601Timestamp);
      const row = await lab().server.store.db.selectFrom('export_jobs').select('finished').where('id', '=', failed.id).executeTakeFirstOrThrow();
      assert.equal(failed.result.iso8601Timestamp, row.finished);
    });
  });
});
