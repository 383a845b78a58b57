import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { before, describe, it } from 'node:test';
import { contentLimits } from '../src/domain/contentLimits.js';
import { exportAndWait } from './support/archives.js';
import { clientInAnotherProcess, contentAtLimit } from './support/contentAtLimit.js';
import { actingAs, forEachDatabase, useLab, type Account } from './support/lab.js';
import { upload } from './support/labWork.js';

/**
 * Issue 7: one save of deeply nested content held the server for 403 s, and each HTML export of
 * it again. Sanitising and rendering large content now run on worker threads. This does the
 * work at the content limit over HTTP and reports the event loop's worst delay meanwhile; the
 * figure is a diagnostic (and in `npm run bench`), not an assertion, as timings vary by machine.
 */
forEachDatabase((kind) => {
  describe('a document at the content limit', () => {
    const lab = useLab(kind);
    let alice: Account;
    const as = () => actingAs(lab, alice);

    before(async () => {
      alice = await lab().createUser('alice');
    });

    it('is stored and exported in both formats; the worst event-loop delay is reported', async (t) => {
      const gel = await upload(lab(), alice, 'gel.png', 'image/png', Buffer.from('png'));
      const day1 = (await as().post('/documents', { name: 'Day 1' })).body.id;
      const content = contentAtLimit(gel, day1);
      assert.equal(Buffer.byteLength(content), contentLimits.fieldBytes);
      // The first save and exports start the worker threads and compile each route's schemas: costs
      // paid once per process, not per document.
      assert.equal((await as().post('/documents', { fields: [{ content: content.slice(0, 64 * 1024) }] })).status, 201);
      for (const format of ['html', 'xml']) assert.equal((await exportAndWait(lab(), alice.key, `${format}/selection?selections=${day1}`)).status, 'COMPLETED');

      const delay = monitorEventLoopDelay({ resolution: 5 });
      const measure = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
        delay.reset();
        delay.enable();
        const result = await work();
        delay.disable();
        return [result, delay.max / 1e6];
      };
      const post = await clientInAnotherProcess(`${lab().url}/api/v1/documents`, alice.key, JSON.stringify({ name: 'At the limit', fields: [{ content }] }));
      const [created, createMs] = await measure(post);
      assert.equal(created.status, 201);
      assert.equal((await as().get(`/documents/${created.id}`)).body.fields[0].content, content);

      const exportMs: string[] = [];
      for (const format of ['html', 'xml']) {
        const [job, ms] = await measure(() => exportAndWait(lab(), alice.key, `${format}/selection?selections=${created.id},${day1}`));
        assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
        assert.equal(job.result.documentsExported, 2);
        exportMs.push(`${format} export ${ms.toFixed(0)} ms`);
      }
      t.diagnostic(`worst event-loop delay at the content limit on ${kind}: create ${createMs.toFixed(0)} ms, ${exportMs.join(', ')}`);
    });
  });
});
