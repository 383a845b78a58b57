import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { BlockList } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../src/config.js';
import { literalAddress, refusedAddress } from '../src/domain/addresses.js';
import { noticesFor } from '../src/domain/notice.js';
import { afterFailure, noticeTimings, retryDelayMs } from '../src/domain/noticeRetry.js';
import { newWebhookSecret, webhookSignature, webhookUrlProblem } from '../src/domain/webhookTarget.js';
import { guardedLookup } from '../src/notices/guardedLookup.js';

/** The pure rules of notices: which addresses a webhook may reach, its URL, retries, signature, channels. */

/** The IPv4 ranges issue 12 names, as Node's own BlockList holds them: an independent judge of ours. */
const refusedV4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  refusedV4.addSubnet(net, bits, 'ipv4');
}

const unbracketed = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');

describe('the addresses webhooks may not reach', () => {
  it('refuses an IPv4 address exactly when it is loopback, private, link-local, CGNAT, unspecified, multicast or reserved', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        assert.equal(refusedAddress(address) !== null, refusedV4.check(address, 'ipv4'), address);
      }),
      { numRuns: 5000 },
    );
    for (const address of ['127.0.0.1', '10.255.255.255', '172.31.0.1', '192.168.0.1', '169.254.169.254', '100.127.255.255', '0.0.0.0', '255.255.255.255', '239.1.1.1']) {
      assert.notEqual(refusedAddress(address), null, address);
    }
    for (const address of ['8.8.8.8', '100.128.0.1', '172.32.0.1', '192.169.0.1', '169.255.0.1', '11.0.0.1', '223.255.255.255']) assert.equal(refusedAddress(address), null, address);
  });

  it('judges an IPv4 address carried in IPv6 (mapped, compatible, NAT64, 6to4), in every spelling, as the address itself', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const verdict = refusedAddress(v4);
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        for (const form of [`::ffff:${v4}`, `::ffff:${hex}`, `0:0:0:0:0:ffff:${hex}`, unbracketed(`https://[::ffff:${v4}]/`), `::${v4}`, `64:ff9b::${v4}`, `2002:${hex}::1`]) {
          assert.equal(refusedAddress(form), verdict, `${form} (${v4})`);
        }
      }),
    );
  });

  it('refuses the IPv6 loopback, unspecified, unique-local, link-local, site-local and multicast ranges', () => {
    for (const address of ['::1', '::', '0:0:0:0:0:0:0:1', 'fc00::1', 'fdff:ffff::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', 'FF05::2']) {
      assert.notEqual(refusedAddress(address), null, address);
    }
    for (const address of ['2001:db8::1', '2606:4700:4700::1111', 'fbff::1', '2001:4860:4860::8888', '2a00:1450::200e']) assert.equal(refusedAddress(address), null, address);
    for (const junk of ['', 'localhost', '1.2.3', '1.2.3.256', '::1::', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1']) assert.equal(refusedAddress(junk), 'not an IP address', junk);
  });

  it('gives the same verdict however a URL spells an IPv6 address', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        assert.equal(refusedAddress(unbracketed(`https://[${address}]/`)), refusedAddress(address), address);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the literal address in a hostname, and nothing in a name', () => {
    assert.equal(literalAddress('[::1]'), '::1');
    assert.equal(literalAddress('10.0.0.1'), '10.0.0.1');
    assert.equal(literalAddress('hooks.example.org'), null);
    assert.equal(literalAddress('localhost'), null);
  });

  it('refuses, as a lookup, a name that resolves to loopback, whether one address or all are asked for', async () => {
    for (const all of [false, true]) {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => guardedLookup('localhost', { all }, (e) => resolve(e)));
      assert.equal(error?.code, 'ELNPORT_REFUSED_ADDRESS');
      assert.match(error!.message, /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    }
    const single = await new Promise<unknown[]>((resolve) => guardedLookup('8.8.8.8', {}, (...args) => resolve(args)));
    assert.deepEqual(single, [null, '8.8.8.8', 4]);
    const all = await new Promise<unknown[]>((resolve) => guardedLookup('8.8.8.8', { all: true }, (...args) => resolve(args)));
    assert.deepEqual(all, [null, [{ address: '8.8.8.8', family: 4 }]]);
  });
});

describe('webhook URLs', () => {
  it('takes https, and http only where private targets are allowed', () => {
    assert.equal(webhookUrlProblem('https://hooks.example.org/x?y=1', false), null);
    assert.match(webhookUrlProblem('http://hooks.example.org/x', false)!, /must start with https:\/\//);
    assert.equal(webhookUrlProblem('http://127.0.0.1:9000/x', true), null);
    assert.match(webhookUrlProblem('ftp://hooks.example.org/x', true)!, /https:\/\/ or http:\/\//);
    assert.match(webhookUrlProblem('/relative', false)!, /absolute URL/);
    assert.match(webhookUrlProblem('https://me:pw@hooks.example.org/', true)!, /user name or password/);
  });

  it('refuses literal addresses webhooks may not reach, however the URL spells them', () => {
    for (const url of ['https://127.0.0.1/', 'https://0x7f.1/', 'https://2130706433/', 'https://[::1]/', 'https://[::ffff:10.0.0.1]/', 'https://169.254.169.254/']) {
      assert.match(webhookUrlProblem(url, false) ?? 'accepted', /which webhooks may not reach/, url);
      assert.equal(webhookUrlProblem(url, true), null, url);
    }
  });
});

describe('retries', () => {
  it('waits 1 s, 2 s, 4 s … after each failed attempt, up to its cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(retryDelayMs), [1_000, 2_000, 4_000, 8_000, 16_000]);
    assert.equal(retryDelayMs(11), noticeTimings.maxRetryMs);
    assert.equal(retryDelayMs(1_000), noticeTimings.maxRetryMs);
  });

  it('tries again while the next attempt falls within the window, and gives up past it', () => {
    assert.deepEqual(afterFailure(1, '2026-12-09T10:00:00.000Z', '2026-12-09T10:00:05.000Z'), { status: 'RETRYING', nextAttemptAt: '2026-12-09T10:00:01.000Z' });
    assert.deepEqual(afterFailure(3, '2026-12-09T10:00:01.000Z', '2026-12-09T10:00:05.000Z'), { status: 'RETRYING', nextAttemptAt: '2026-12-09T10:00:05.000Z' });
    assert.deepEqual(afterFailure(4, '2026-12-09T10:00:01.000Z', '2026-12-09T10:00:05.000Z'), { status: 'FAILED', nextAttemptAt: null });
  });

  it('makes about 150 attempts in the default day', () => {
    let at = 0;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = afterFailure(attempts, new Date(at).toISOString(), new Date(86_400_000).toISOString());
      if (next.status === 'FAILED') break;
      at = Date.parse(next.nextAttemptAt);
    }
    assert.ok(attempts > 140 && attempts < 160, `${attempts}`);
  });
});

describe('signatures and secrets', () => {
  it('signs "<timestamp>.<body>" with HMAC-SHA256 under the secret', () => {
    const secret = newWebhookSecret();
    const body = '{"id":1,"status":"COMPLETED"}';
    assert.equal(webhookSignature(secret, 1765000000, body), `sha256=${createHmac('sha256', secret).update(`1765000000.${body}`).digest('hex')}`);
    assert.notEqual(webhookSignature(secret, 1765000001, body), webhookSignature(secret, 1765000000, body));
    assert.notEqual(webhookSignature(newWebhookSecret(), 1765000000, body), webhookSignature(secret, 1765000000, body));
  });

  it('makes a new secret every time, of 256 bits', () => {
    const secrets = new Set(Array.from({ length: 100 }, newWebhookSecret));
    assert.equal(secrets.size, 100);
    for (const s of secrets) assert.equal(Buffer.from(s.replace(/^whsec_/, ''), 'base64url').length, 32);
  });
});

describe('which channels a job is told on', () => {
  const choice = { webhookUrl: 'https://hooks.example.org/x', emailEnabled: true, email: 'a@lab.test' };
  it('tells both, as chosen', () => {
    assert.deepEqual(noticesFor(choice, 'COMPLETED', true), [
      { channel: 'webhook', target: 'https://hooks.example.org/x' },
      { channel: 'email', target: 'a@lab.test' },
    ]);
    assert.deepEqual(noticesFor(choice, 'FAILED', true).length, 2);
  });
  it('sends no e-mail for a job its owner cancelled, nor without an SMTP server, and nothing to a user who chose nothing', () => {
    assert.deepEqual(noticesFor(choice, 'ABANDONED', true), [{ channel: 'webhook', target: 'https://hooks.example.org/x' }]);
    assert.deepEqual(noticesFor(choice, 'COMPLETED', false), [{ channel: 'webhook', target: 'https://hooks.example.org/x' }]);
    assert.deepEqual(noticesFor({ ...choice, webhookUrl: null, emailEnabled: false }, 'COMPLETED', true), []);
    assert.deepEqual(noticesFor(undefined, 'COMPLETED', true), []);
  });
});

describe("the operator's notice settings", () => {
  const load = (env: Record<string, string>) => loadConfig({ ELNPORT_DATA_DIR: '/tmp/elnport-unused', ...env }).notices;
  it('default to public https webhooks retried for a day, and no e-mail', () => {
    assert.deepEqual(load({}), { allowPrivate: false, retryForMs: 86_400_000, smtpUrl: null, mailFrom: null });
    assert.deepEqual(load({ ELNPORT_WEBHOOK_ALLOW_PRIVATE: '1', ELNPORT_WEBHOOK_RETRY_FOR_SECONDS: '2.5', ELNPORT_SMTP_URL: 'smtp://127.0.0.1:2525', ELNPORT_MAIL_FROM: 'elnport <e@lab.test>' }), {
      allowPrivate: true,
      retryForMs: 2_500,
      smtpUrl: 'smtp://127.0.0.1:2525',
      mailFrom: 'elnport <e@lab.test>',
    });
  });
  it('refuses what they cannot mean, naming the variable', () => {
    for (const [env, named] of [
      [{ ELNPORT_WEBHOOK_ALLOW_PRIVATE: 'maybe' }, 'ELNPORT_WEBHOOK_ALLOW_PRIVATE'],
      [{ ELNPORT_WEBHOOK_RETRY_FOR_SECONDS: '0' }, 'ELNPORT_WEBHOOK_RETRY_FOR_SECONDS'],
      [{ ELNPORT_SMTP_URL: 'http://mail.lab.test', ELNPORT_MAIL_FROM: 'e@lab.test' }, 'ELNPORT_SMTP_URL'],
      [{ ELNPORT_SMTP_URL: 'smtp://mail.lab.test' }, 'ELNPORT_MAIL_FROM'],
      [{ ELNPORT_SMTP_URL: 'smtp://mail.lab.test', ELNPORT_MAIL_FROM: 'not an address' }, 'ELNPORT_MAIL_FROM'],
    ] as const) {
      assert.throws(() => load(env), (error: Error) => error.message.includes(named), JSON.stringify(env));
    }
  });
});
