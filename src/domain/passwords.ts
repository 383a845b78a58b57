import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Passwords, stored as `scrypt$<salt hex>$<hash hex>`: salted and slow, so that a copy of the
 * database does not give them away. The exports page signs people in with them (issue 12).
 */

const keyLength = 32;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, keyLength).toString('hex')}`;
}

function derive(password: string, salt: Buffer): Promise<Buffer> {
  // The asynchronous scrypt runs on libuv's pool: a sign-in must not hold the event loop for the
  // 50 ms or so a derivation takes, while exports are being polled.
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A stored hash for no one, for an unknown user's sign-in to take as long as a known one's. */
const nobody = hashPassword(randomBytes(16).toString('hex'));

/**
 * Whether `password` is the one `stored` was made from. `stored` null (an unknown user, or one
 * with no password) still costs a derivation, so the time taken does not tell whether a
 * username exists.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, saltHex, hashHex] = (stored ?? nobody).split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const given = await derive(password, Buffer.from(saltHex, 'hex'));
  return stored !== null && expected.length === given.length && timingSafeEqual(expected, given);
}
