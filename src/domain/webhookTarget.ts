import { createHmac, randomBytes } from 'node:crypto';
import { literalAddress, refusedAddress } from './addresses.js';

/**
 * Where a webhook may point, and how its notices are signed. What can be known from the URL
 * alone is checked when the user sets it; the addresses a name resolves to are checked again
 * when each notice connects (notices/guardedLookup.ts), as DNS may answer otherwise by then.
 */

/** Long enough for any real endpoint, short enough that a stored URL stays a URL. */
export const maxWebhookUrlLength = 2_000;

/**
 * Why `raw` may not be a webhook URL, or null when it may. `allowPrivate` is the operator's
 * ELNPORT_WEBHOOK_ALLOW_PRIVATE: it lets a webhook reach loopback and private addresses, and
 * use plain http (a receiver inside the lab, or a test's).
 */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `webhook.url must be an absolute URL, got "${raw}"`;
  }
  const schemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) return `webhook.url must start with ${schemes.map((s) => `${s}//`).join(' or ')}, got "${raw}"`;
  // Sent in the clear to whoever can read the settings: the signature is the way to trust a notice.
  if (url.username || url.password) return 'webhook.url must not carry a user name or password; verify the X-Elnport-Signature header instead';
  if (allowPrivate) return null;
  // The URL parser has already turned 0x7f.1 and 2130706433 into 127.0.0.1.
  const literal = literalAddress(url.hostname);
  const why = literal === null ? null : refusedAddress(literal);
  return why && `webhook.url names ${url.hostname}, ${why}, which webhooks may not reach`;
}

/** A user's secret for webhook signatures: 256 random bits, shown to its user so they can verify. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The X-Elnport-Signature header: HMAC-SHA256 under the secret of "<timestamp>.<body>". The
 * timestamp (X-Elnport-Timestamp, unix seconds) is signed with the body so that a receiver can
 * refuse a notice replayed long after it was sent.
 */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
