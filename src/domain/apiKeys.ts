import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const keyPattern = /^[A-Za-z0-9_]{16,64}$/;
const keyAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function isWellFormedApiKey(key: string): boolean {
  return keyPattern.test(key);
}

/** 32 characters from a 62-letter alphabet: about 190 bits, drawn without modulo bias. */
export function generateApiKey(): string {
  let key = '';
  while (key.length < 32) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && key.length < 32) key += keyAlphabet[byte % 62];
    }
  }
  return key;
}

/**
 * Keys are random and long, so a fast unsalted hash is enough to make a stolen table useless,
 * and it lets the store find a key by an indexed lookup of its hash.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

/** Passwords are not used by the API, but RSpace's user shape carries one: keep it salted and slow. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}
