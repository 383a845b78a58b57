import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startServer } from '../src/server.js';
import { databaseClock } from '../src/store/dialect.js';
import { isoNow } from '../src/domain/time.js';
import { insertExportJob } from '../src/store/queries/exportJobs.js';
import { failJob } from '../src/store/queries/jobLifecycle.js';
import { claimDelivery, insertDeliveries, takeJobToNotice } from '../src/store/queries/notices.js';
import { ownWorkRequest } from './support/exportRequests.js';
import { exportAndWait } from './support/archives.js';
import { expectError, forEachDatabase, isoDate, useLab, type Account } from './support/lab.js';
import { loseAttachment } from './support/labWork.js';
import { deliveriesWhen, startReceiver } from './support/notices.js';

/** Webhook notices against a receiver of the test's own, and the settings API (issue 12, item 6). */
forEachDatabase((kind) => {
  describe('notices of ended jobs, by webhook', () => {
    // A short retry window: a receiver that keeps failing is given up within seconds.
    const lab = useLab(kind, { ELNPORT_WEBHOOK_ALLOW_PRIVATE: '1', ELNPORT_WEBHOOK_RETRY_FOR_SECONDS: '6' });
    let alice: Account;
    let bob: Account;
    let pat: Account;
    const receivers: { close(): Promise<void> }[] = [];
    const receiver = async (answer?: (n: number) => number) => {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    };
    const setWebhook = async (who: Account, url: string) => {
      const r = await lab().call('PUT', '/me/notifications', { key: who.key, body: { webhook: { url } } });
      assert.equal(r.status, 200, r.text);
      return r.body;
    };
    const note = async (who: Account, content: string) => {
      const r = await lab().call('POST', '/documents', { key: who.key, body: { name: 'Assay', fields: [{ content }] } });
      assert.equal(r.status, 201, r.text);
    };

    before(async () => {
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
      pat = await lab().createUser('pat');
    });
    after(async () => {
      for (const r of receivers) await r.close();
    });

    it('makes a secret on the first read and keeps it; PUT sets the webhook, POST /secret renews the secret', async () => {
      const first = await lab().call('GET', '/me/notifications', { key: alice.key });
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(Object.keys(first.body).sort(), ['email', 'webhook', 'webhookSecret']);
      assert.equal(first.body.webhook, null);
      assert.deepEqual(first.body.email, { enabled: false, address: 'alice@test.lab', available: false });
      assert.match(first.body.webhookSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
      const again = await lab().call('GET', '/me/notifications', { key: alice.key });
      assert.equal(again.body.webhookSecret, first.body.webhookSecret);

      const set = await setWebhook(alice, 'https://hooks.example.org/elnport?token=1');
      assert.deepEqual(set.webhook, { url: 'https://hooks.example.org/elnport?token=1' });
      assert.equal(set.webhookSecret, first.body.webhookSecret);
      // A key left out keeps its setting.
      const emailOnly = await lab().call('PUT', '/me/notifications', { key: alice.key, body: { email: { enabled: false } } });
      assert.deepEqual(emailOnly.body.webhook, set.webhook);

      const renewed = await lab().call('POST', '/me/notifications/secret', { key: alice.key });
      assert.equal(renewed.status, 200, renewed.text);
      assert.notEqual(renewed.body.webhookSecret, first.body.webhookSecret);
      assert.deepEqual(renewed.body.webhook, set.webhook);
      const cleared = await lab().call('PUT', '/me/notifications', { key: alice.key, body: { webhook: null } });
      assert.equal(cleared.body.webhook, null);
      // Another user's secret is their own.
      const bobs = await lab().call('GET', '/me/notifications', { key: bob.key });
      assert.notEqual(bobs.body.webhookSecret, renewed.body.webhookSecret);
    });

    it('refuses settings it cannot keep, in the contract error shape, naming the field', async () => {
      const put = (body: unknown) => lab().call('PUT', '/me/notifications', { key: alice.key, body });
      const field = (answer: any) => expectError(answer, 400, 40002).data.validationErrors[0].field;
      assert.equal(field(await put({ webhook: { url: 'not a url' } })), 'webhook.url');
      assert.equal(field(await put({ webhook: { url: 'ftp://hooks.example.org/x' } })), 'webhook.url');
      assert.equal(field(await put({ webhook: { url: 'https://user:pw@hooks.example.org/x' } })), 'webhook.url');
      assert.equal(field(await put({ webhooks: { url: 'https://hooks.example.org/x' } })), 'webhooks');
      assert.equal(field(await put({ webhook: { url: 'https://hooks.example.org/x', secret: 'mine' } })), 'webhook.secret');
      assert.equal(field(await put({ email: { enabled: 'yes' } })), 'email.enabled');
      // This server has no SMTP server: e-mail cannot be turned on.
      assert.equal(field(await put({ email: { enabled: true } })), 'email.enabled');
      expectError(await lab().call('PUT', '/me/notifications', { key: alice.key, body: '{"webhook":' }), 400, 40009);
      expectError(await lab().call('GET', '/me/notifications', { key: null }), 401, 40101);
      // Nothing refused was kept.
      const now = await lab().call('GET', '/me/notifications', { key: alice.key });
      assert.equal(now.body.webhook, null);
      assert.equal(now.body.email.enabled, false);
    });

    it('posts each ended job once, signed, with the job JSON, and lists it DELIVERED', async () => {
      const hook = await receiver();
      const { webhookSecret } = await setWebhook(alice, hook.url);
      await note(alice, '<p>OD600 0.42</p>');
      const completed = await exportAndWait(lab(), alice.key, 'html/user');
      assert.equal(completed.status, 'COMPLETED');
      await loseAttachment(lab(), alice);
      const failed = await exportAndWait(lab(), alice.key, 'xml/user');
      assert.equal(failed.status, 'FAILED');

      const deliveries = await deliveriesWhen(lab(), alice, (ds) => ds.length === 2 && ds.every((d) => d.status === 'DELIVERED'));
      assert.equal(hook.received.length, 2);
      // Newest first.
      assert.deepEqual(deliveries.map((d) => [d.jobId, d.event]), [[failed.id, 'FAILED'], [completed.id, 'COMPLETED']]);
      for (const d of deliveries) {
        assert.deepEqual(Object.keys(d).sort(), ['attempts', 'channel', 'createdAt', 'error', 'event', 'id', 'jobId', 'lastAttemptAt', 'nextAttemptAt', 'responseStatus', 'status', 'target'].sort());
        assert.equal(d.channel, 'webhook');
        assert.equal(d.target, hook.url);
        assert.equal(d.attempts, 1);
        assert.equal(d.responseStatus, 200);
        assert.equal(d.error, null);
        assert.equal(d.nextAttemptAt, null);
        assert.match(d.createdAt, isoDate);
        assert.match(d.lastAttemptAt, isoDate);
      }
      for (const request of hook.received) {
        const timestamp = request.headers['x-elnport-timestamp'] as string;
        assert.match(timestamp, /^\d{10}$/);
        const expected = `sha256=${createHmac('sha256', webhookSecret).update(`${timestamp}.${request.body}`).digest('hex')}`;
        assert.equal(request.headers['x-elnport-signature'], expected);
        assert.equal(request.headers['content-type'], 'application/json');
        const delivery = deliveries.find((d) => String(d.id) === request.headers['x-elnport-delivery']);
        assert.ok(delivery, `no delivery ${request.headers['x-elnport-delivery']}`);
        assert.equal(request.headers['x-elnport-event'], delivery.event);
        const job = JSON.parse(request.body);
        // The same JSON as GET /jobs/{id}, with absolute links.
        const polled = await lab().call('GET', `/jobs/${delivery.jobId}`, { key: alice.key });
        assert.deepEqual(job, polled.body);
      }
      const sentCompleted = JSON.parse(hook.received.find((r) => r.headers['x-elnport-event'] === 'COMPLETED')!.body);
      assert.equal(sentCompleted._links[0].rel, 'enclosure');
      assert.match(sentCompleted._links[0].link, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/export\/.+\.zip$/);
    });

    it('tries again after a 500 answer, then records the 2xx as DELIVERED', async () => {
      const hook = await receiver((n) => (n === 1 ? 500 : 204));
      await setWebhook(bob, hook.url);
      await note(bob, '<p>Gel 2</p>');
      const job = await exportAndWait(lab(), bob.key, 'html/user');
      const [delivery] = await deliveriesWhen(lab(), bob, (ds) => ds.length === 1 && ds[0].status === 'DELIVERED');
      assert.equal(delivery.jobId, job.id);
      assert.equal(delivery.attempts, 2);
      assert.equal(delivery.responseStatus, 204);
      assert.equal(delivery.error, null);
      assert.equal(hook.received.length, 2);
      // Both attempts are the one delivery, each signed afresh.
      assert.deepEqual(hook.received.map((r) => r.headers['x-elnport-delivery']), [String(delivery.id), String(delivery.id)]);
    });

    it('gives up once the retry window is over: FAILED, with every attempt made', async () => {
      const hook = await receiver(() => 503);
      await setWebhook(pat, hook.url);
      await note(pat, '<p>Titration</p>');
      await exportAndWait(lab(), pat.key, 'html/user');
      const retrying = await deliveriesWhen(lab(), pat, (ds) => ds.length === 1 && ds[0].status !== 'PENDING');
      if (retrying[0].status === 'RETRYING') assert.match(retrying[0].nextAttemptAt, isoDate);
      const [delivery] = await deliveriesWhen(lab(), pat, (ds) => ds[0].status === 'FAILED');
      assert.ok(delivery.attempts >= 2, `${delivery.attempts} attempts`);
      assert.equal(hook.received.length, delivery.attempts);
      assert.equal(delivery.responseStatus, 503);
      assert.match(delivery.error, /503/);
      assert.equal(delivery.nextAttemptAt, null);
    });

    it('notices a job that ended where nothing told the notifier (another process, or one that died at once)', async () => {
      const dana = await lab().createUser('dana');
      const hook = await receiver();
      await setWebhook(dana, hook.url);
      const { db } = lab().server.store;
      // Ended by the store alone, in one transaction so no worker claims it first: nothing nudges this process.
      const jobId = await db.transaction().execute(async (trx) => {
        const job = await insertExportJob(trx, dana.id, ownWorkRequest('html'), isoNow());
        assert.ok(await failJob(trx, job.id, null, 'The worker stopped', isoNow()));
        return job.id;
      });
      const [delivery] = await deliveriesWhen(lab(), dana, (ds) => ds.length === 1 && ds[0].status === 'DELIVERED');
      assert.equal(delivery.jobId, jobId);
      assert.equal(delivery.event, 'FAILED');
      assert.equal(JSON.parse(hook.received[0]!.body).result.message, 'The worker stopped');
    });

    it('sends each notice once when two processes share the database, both looking for it', { skip: kind === 'sqlite' && 'SQLite belongs to one process' }, async () => {
      const second = await startServer({ ...lab().server.app.config, port: 0 });
      try {
        const hook = await receiver();
        const users = await Promise.all(['erin', 'frank', 'gail', 'hal'].map((name) => lab().createUser(name)));
        for (const user of users) await setWebhook(user, hook.url);
        // Ended by the store alone: neither process is nudged, so both notifiers race for every job.
        const { db } = lab().server.store;
        await db.transaction().execute(async (trx) => {
          for (const user of users) {
            const job = await insertExportJob(trx, user.id, ownWorkRequest('html'), isoNow());
            assert.ok(await failJob(trx, job.id, null, 'Made to fail', isoNow()));
          }
        });
        for (const user of users) await deliveriesWhen(lab(), user, (ds) => ds.length === 1 && ds[0].status === 'DELIVERED');
        assert.equal(hook.received.length, users.length);
        assert.equal(new Set(hook.received.map((r) => r.headers['x-elnport-delivery'])).size, users.length);
      } finally {
        await second.close();
      }
    });

    it("lets nobody see another user's deliveries", async () => {
      const mine = await lab().call('GET', '/me/notifications/deliveries', { key: bob.key });
      assert.equal(mine.status, 200);
      assert.equal(mine.body.totalHits, 1);
      const alices = await lab().call('GET', '/me/notifications/deliveries', { key: alice.key });
      assert.equal(alices.body.totalHits, 2);
      const bobsIds = new Set(mine.body.deliveries.map((d: any) => d.id));
      assert.ok(alices.body.deliveries.every((d: any) => !bobsIds.has(d.id)));
      const paged = await lab().call('GET', '/me/notifications/deliveries?pageNumber=1&pageSize=1', { key: alice.key });
      assert.deepEqual(paged.body.deliveries.map((d: any) => d.id), [alices.body.deliveries[1].id]);
      // The shape of every other list: its page number and the links to the pages beside it.
      assert.equal(paged.body.pageNumber, 1);
      const rels = paged.body._links.map((l: any) => l.rel);
      for (const rel of ['first', 'prev', 'last', 'self']) assert.ok(rels.includes(rel), `no ${rel} link: ${rels}`);
      assert.ok(paged.body._links.some((l: any) => l.rel === 'self' && l.link.endsWith('/me/notifications/deliveries?pageNumber=1&pageSize=1')), JSON.stringify(paged.body._links));
      expectError(await lab().call('GET', '/me/notifications/deliveries?pageSize=0', { key: alice.key }), 400, 40002);
    });

    it("makes a job's notices once and hands each attempt to one worker (compare-and-set)", async () => {
      const { db, dialect } = lab().server.store;
      const job = await db.selectFrom('export_jobs').select('id').where('owner_id', '=', alice.id).orderBy('id').executeTakeFirstOrThrow();
      // Noticed already, by this server's notifier: no other worker may make its notices again.
      assert.equal(await takeJobToNotice(db, job.id), undefined);
      // Rolled back, so that the running notifier never sees the delivery.
      const rollback = new Error('rollback');
      const claims = await db
        .transaction()
        .execute(async (trx) => {
          await insertDeliveries(trx, job.id, alice.id, 'COMPLETED', [{ channel: 'email', target: 'alice@test.lab' }], { now: databaseClock(dialect, -1000), giveUpAt: databaseClock(dialect, 60_000) });
          const row = await trx.selectFrom('notice_deliveries').select('id').where('job_id', '=', job.id).where('channel', '=', 'email').executeTakeFirstOrThrow();
          const lease = databaseClock(dialect, 60_000);
          const first = await claimDelivery(trx, row.id, 'worker-a', databaseClock(dialect), lease);
          const second = await claimDelivery(trx, row.id, 'worker-b', databaseClock(dialect), lease);
          throw Object.assign(rollback, { claims: [first, second] });
        })
        .catch((error: any) => {
          if (error !== rollback) throw error;
          return error.claims;
        });
      assert.ok(claims[0], 'the first claim took nothing');
      assert.equal(claims[1], undefined);
    });
  });
});
