import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { expectError, useLab, type Account } from './support/lab.js';
import { deliveriesWhen } from './support/notices.js';

/**
 * Webhooks may not reach the server's own network (issue 12, item 7): refused when set if the URL
 * says so, and at connect time for what only DNS can tell. No worker runs here (ELNPORT_WORKERS=0),
 * so a job waits until its owner cancels it, and its ABANDONED notice is what is sent.
 */
describe('webhook targets, checked against SSRF', () => {
  // Started allowing private targets, as an operator might have, then restarted without (before).
  const lab = useLab('sqlite', { ELNPORT_WORKERS: '0', ELNPORT_WEBHOOK_ALLOW_PRIVATE: '1' });
  let alice: Account;
  let bob: Account;

  const put = (who: Account, url: string) => lab().call('PUT', '/me/notifications', { key: who.key, body: { webhook: { url } } });
  const cancelledExport = async (who: Account) => {
    const r = await lab().call('POST', '/export/html/user', { key: who.key });
    assert.equal(r.status, 202, r.text);
    assert.equal((await lab().call('DELETE', `/jobs/${r.body.id}`, { key: who.key })).status, 204);
    return r.body.id as number;
  };

  before(async () => {
    alice = await lab().createUser('alice');
    bob = await lab().createUser('bob');
    assert.equal((await put(alice, 'https://127.0.0.1:9/hook')).status, 200);
    await lab().restart({ ELNPORT_WEBHOOK_ALLOW_PRIVATE: '0' });
  });

  it('refuses, when set, a URL that is not https or names an address webhooks may not reach', async () => {
    const refused = [
      'http://127.0.0.1/hook',
      'http://[::1]/hook',
      'http://hooks.example.org/hook',
      'https://127.0.0.1/hook',
      'https://127.1.2.3:8443/hook',
      'https://[::1]/hook',
      'https://10.20.30.40/hook',
      'https://172.16.0.1/hook',
      'https://192.168.1.10/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://100.64.0.1/hook',
      'https://0.0.0.0/hook',
      'https://224.0.0.1/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:169.254.169.254]/hook',
      'https://[fe80::1]/hook',
      'https://[fd00::1]/hook',
      'https://[::]/hook',
      // The URL parser reads these as 127.0.0.1.
      'https://0x7f000001/hook',
      'https://2130706433/hook',
      'https://0177.0.0.1/hook',
    ];
    const wrong: string[] = [];
    for (const url of refused) {
      const body = expectError(await put(bob, url), 400, 40002);
      if (body.data.validationErrors[0].field !== 'webhook.url') wrong.push(`${url}: ${body.message}`);
    }
    assert.deepEqual(wrong, []);
    assert.match(expectError(await put(bob, 'https://[::ffff:127.0.0.1]/hook'), 400, 40002).message, /loopback/);
    assert.match(expectError(await put(bob, 'https://169.254.169.254/'), 400, 40002).message, /link-local/);
    // A public address, and a name, are taken: a name is judged when a notice connects.
    assert.equal((await put(bob, 'https://93.184.215.14/hook')).status, 200);
    assert.equal((await put(bob, 'https://[2606:4700::1111]/hook')).status, 200);
  });

  it('refuses at connect time a name that resolves to loopback, and records why', async () => {
    assert.equal((await put(bob, 'https://localhost:9/hook')).status, 200);
    const jobId = await cancelledExport(bob);
    const [delivery] = await deliveriesWhen(lab(), bob, (ds) => ds.length === 1 && ds[0].attempts >= 1);
    assert.equal(delivery.jobId, jobId);
    // The owner cancelled it: the webhook is told, as a script may be waiting on the job.
    assert.equal(delivery.event, 'ABANDONED');
    // Refused for good: no retries against an address webhooks may not reach.
    const [settled] = await deliveriesWhen(lab(), bob, (ds) => ds[0]?.status !== 'PENDING' && ds[0]?.status !== undefined);
    assert.equal(settled.status, 'FAILED');
    assert.equal(settled.attempts, 1);
    assert.equal(delivery.responseStatus, null);
    assert.match(delivery.error, /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it('checks a literal address again when it connects: one saved while private targets were allowed is refused now', async () => {
    const jobId = await cancelledExport(alice);
    const [delivery] = await deliveriesWhen(lab(), alice, (ds) => ds.length === 1 && ds[0].attempts >= 1);
    assert.equal(delivery.jobId, jobId);
    assert.equal(delivery.target, 'https://127.0.0.1:9/hook');
    assert.match(delivery.error, /^refused: webhook\.url names 127\.0\.0\.1, a loopback address/);
    assert.equal(delivery.status, 'FAILED');
    assert.equal(delivery.attempts, 1);
  });
});
