import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import type { ApiKeyHasher } from '../domain/apiKeys.js';
import { invalidConfig } from '../domain/errors.js';
import type { Db } from './db.js';
import { listApiKeyHashes, replaceApiKeyHash } from './queries/users.js';

/** Where the secret lives when ELNPORT_API_KEY_SECRET does not give it. */
export function apiKeySecretFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'api-key-secret');
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < 32) {
    throw invalidConfig(`${file} does not hold an API key secret (fewer than 32 characters): restore it, or see "Losing the API key secret" in the README`);
  }
  return secret;
}

/**
 * Makes the secret, readable by its owner only. It is written whole under a draft name and linked
 * into place, which fails if another process (a second server, an admin command) got there
 * first: then theirs is the secret, and nobody ever reads a half-written one.
 */
function createSecret(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  fs.writeFileSync(draft, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return readSecret(file)!;
}

/**
 * The secret API keys are stored under: the configured one, else the data directory's, made on
 * first start. Never the database's: a copy of the database must not carry it.
 */
export function apiKeySecret(config: Pick<Config, 'apiKeySecret' | 'dataDir'>): string {
  if (config.apiKeySecret !== null) return config.apiKeySecret;
  const file = apiKeySecretFile(config.dataDir);
  return readSecret(file) ?? createSecret(file);
}

/**
 * Rewrites every key stored by an earlier version (a bare sha256) in the current form, so those
 * keys go on working; the caller runs it in one transaction. Each row is a compare-and-set, so
 * processes starting at once on one database do not upgrade a row twice.
 */
export async function upgradeApiKeyHashes(db: Db, hasher: ApiKeyHasher): Promise<void> {
  for (const { id, apiKeyHash } of await listApiKeyHashes(db)) {
    const upgraded = hasher.upgrade(apiKeyHash);
    if (upgraded !== undefined) await replaceApiKeyHash(db, id, apiKeyHash, upgraded);
  }
}
