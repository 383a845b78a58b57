import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectError, forEachDatabase, useLab } from './support/lab.js';

/**
 * Issue 7 item 10: the 429 for "an export is already running" says when to try again, as the rate
 * limiter's 429 does: the same hint a poll of the job that blocks it carries.
 */
forEachDatabase((kind) => {
  describe('429 for an export already running', () => {
    // No worker: the first job waits, so the second request always meets it unfinished.
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });

    it('carries Retry-After, as a poll of the running job does', async () => {
      const dave = await lab().createUser('dave');
      const first = await lab().call('POST', '/export/html/user', { key: dave.key });
      assert.equal(first.status, 202, first.text);
      const refused = await lab().call('POST', '/export/xml/user', { key: dave.key });
      assert.equal(expectError(refused, 429, 42901).message, 'There is already a running export job');
      const poll = await lab().call('GET', `/jobs/${first.body.id}`, { key: dave.key });
      assert.match(poll.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.equal(refused.headers.get('retry-after'), poll.headers.get('retry-after'));
    });
  });
});
