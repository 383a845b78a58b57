import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { exportAndWait } from './support/archives.js';
import { startLab, type Account, type Lab } from './support/lab.js';
import { loseAttachment } from './support/labWork.js';
import { deliveriesWhen } from './support/notices.js';

interface Message {
  to: string[];
  /** The message as sent, its quoted-printable parts decoded. */
  text: string;
}

/** Undoes quoted-printable (RFC 2045 §6.7), which nodemailer uses for text with long lines or non-ASCII. */
function unquote(raw: string): string {
  const bytes = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** E-mail notices against an SMTP server of the test's own (issue 12, item 6). */
describe('notices of ended jobs, by e-mail', () => {
  const messages: Message[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: nodemailer would otherwise upgrade to TLS, to a certificate it refuses.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), text: unquote(Buffer.concat(chunks).toString('latin1')) });
        callback();
      });
    },
  });
  let lab: Lab;
  let alice: Account;

  before(async () => {
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    lab = await startLab('sqlite', { ELNPORT_SMTP_URL: `smtp://127.0.0.1:${port}`, ELNPORT_MAIL_FROM: 'elnport <elnport@lab.test>' });
    alice = await lab.createUser('alice');
  });
  after(async () => {
    await lab?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('sends one message per ended job, plain and HTML: the download link and expiry, or why it failed', async () => {
    const on = await lab.call('PUT', '/me/notifications', { key: alice.key, body: { email: { enabled: true } } });
    assert.equal(on.status, 200, on.text);
    assert.deepEqual(on.body.email, { enabled: true, address: 'alice@test.lab', available: true });
    assert.equal(on.body.webhook, null);

    const r = await lab.call('POST', '/documents', { key: alice.key, body: { name: 'Assay', fields: [{ content: '<p>OD600 0.42</p>' }] } });
    assert.equal(r.status, 201, r.text);
    const completed = await exportAndWait(lab, alice.key, 'html/user');
    assert.equal(completed.status, 'COMPLETED');
    await loseAttachment(lab, alice);
    const failed = await exportAndWait(lab, alice.key, 'xml/user');
    assert.equal(failed.status, 'FAILED');

    const deliveries = await deliveriesWhen(lab, alice, (ds) => ds.length === 2 && ds.every((d) => d.status === 'DELIVERED'));
    assert.deepEqual(deliveries.map((d) => [d.jobId, d.channel, d.target, d.responseStatus]), [
      [failed.id, 'email', 'alice@test.lab', 250],
      [completed.id, 'email', 'alice@test.lab', 250],
    ]);
    assert.equal(messages.length, 2);
    for (const m of messages) {
      assert.deepEqual(m.to, ['alice@test.lab']);
      assert.match(m.text, /^From: elnport <elnport@lab\.test>/m);
      assert.match(m.text, /Content-Type: multipart\/alternative/);
      assert.match(m.text, /Content-Type: text\/plain/);
      assert.match(m.text, /Content-Type: text\/html/);
    }
    const [toldCompleted, toldFailed] = [completed, failed].map((job) => messages.find((m) => m.text.includes(`/api/v1/jobs/${job.id}`))!);
    assert.ok(toldCompleted && toldFailed && toldCompleted !== toldFailed);

    assert.match(toldCompleted.text, new RegExp(`^Subject: elnport: your HTML export ${completed.id} \\(user\\) completed`, 'm'));
    const link = completed._links[0].link as string;
    assert.equal(completed._links[0].rel, 'enclosure');
    assert.ok(toldCompleted.text.includes(`Download: ${link}`), 'no download link in the plain text');
    assert.ok(toldCompleted.text.includes(`<a href="${link}">`), 'no download link in the HTML');
    const expiry = new Date(completed.result.expiryDate).toUTCString();
    assert.equal(toldCompleted.text.split(expiry).length - 1, 2, `the expiry ${expiry} is not in both parts`);

    assert.match(toldFailed.text, new RegExp(`^Subject: elnport: your XML export ${failed.id} \\(user\\) failed`, 'm'));
    assert.ok(failed.result.message.length > 0);
    assert.ok(toldFailed.text.includes(`Why: ${failed.result.message}`), `the failure's message is not in:\n${toldFailed.text}`);
    assert.doesNotMatch(toldFailed.text, /Download/);
  });
});
