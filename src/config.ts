import os from 'node:os';
import path from 'node:path';
import { invalidConfig } from './domain/errors.js';

/** Everything elnport reads from its environment, validated once and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** `postgres://…` switches the store to PostgreSQL; otherwise SQLite in `dataDir`. */
  readonly databaseUrl: string | null;
  /** Base of absolute links; null means "the request's own scheme and host". */
  readonly publicUrl: string | null;
  readonly sysadminApiKey: string | null;
  readonly maxUploadBytes: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  readonly workers: number;
  readonly retentionHours: number;
  readonly logLevel: string;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw invalidConfig(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  }
  return value;
}

function positive(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw invalidConfig(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw invalidConfig(`${name} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw invalidConfig(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: Env = process.env): Config {
  const sysadminApiKey = env.ELNPORT_SYSADMIN_API_KEY || null;
  if (sysadminApiKey !== null && !/^[A-Za-z0-9_]{16,64}$/.test(sysadminApiKey)) {
    throw invalidConfig('ELNPORT_SYSADMIN_API_KEY must be 16–64 characters of A-Z, a-z, 0-9 and _');
  }
  return Object.freeze({
    port: integer(env, 'PORT', 8080, 0),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.ELNPORT_DATA_DIR || './data'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    publicUrl: url(env, 'ELNPORT_PUBLIC_URL', ['http:', 'https:']),
    sysadminApiKey,
    maxUploadBytes: Math.round(positive(env, 'ELNPORT_MAX_UPLOAD_MB', 100) * 1024 * 1024),
    rateLimit: Object.freeze({
      max: integer(env, 'ELNPORT_RATE_LIMIT', 600, 1),
      windowMs: integer(env, 'ELNPORT_RATE_WINDOW_SECONDS', 60, 1) * 1000,
    }),
    // 0 makes an API-only process: jobs wait for workers elsewhere.
    workers: integer(env, 'ELNPORT_WORKERS', os.availableParallelism(), 0),
    retentionHours: positive(env, 'ELNPORT_RETENTION_HOURS', 48),
    logLevel: env.LOG_LEVEL || 'info',
  });
}
