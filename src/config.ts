import { defaultImportLimits, importLimitSettings, type ImportLimits } from './import/limits.js';
import os from 'node:os';
import path from 'node:path';
import { storageSettings, type StorageSettings } from './blobs/s3Settings.js';
import { invalidConfig } from './domain/errors.js';
import { flag } from './envFlag.js';

/**
 * What one `elnport serve` process does: `api` serves HTTP and queues jobs, `worker` runs the
 * exports and the sweeper, `all` does both (the one process of an embedded install).
 */
export type Role = 'api' | 'worker' | 'all';
const roles: readonly Role[] = ['api', 'worker', 'all'];

/** Everything elnport reads from its environment, validated once and frozen. */
export interface Config {
  readonly role: Role;
  /** Where a `worker` answers GET /health; it serves nothing on `port`. */
  readonly healthPort: number;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Where attachments and archives are kept: directories in dataDir, or an S3-compatible bucket. */
  readonly storage: StorageSettings;
  /** `postgres://…` switches the store to PostgreSQL; otherwise SQLite in `dataDir`. */
  readonly databaseUrl: string | null;
  /** Base of absolute links; null means "the request's own scheme and host". */
  readonly publicUrl: string | null;
  readonly sysadminApiKey: string | null;
  /**
   * The secret API keys are stored under (an HMAC), kept out of the database so that a copy of it
   * alone does not let anyone guess keys; null means "the one made in the data directory".
   */
  readonly apiKeySecret: string | null;
  readonly maxUploadBytes: number;
  /** What an archive given to import may hold (import/limits.ts); a file in it may be as large as an upload. */
  readonly importLimits: ImportLimits;
  /** How long a client may take over a request; each is explained where loadConfig sets it. */
  readonly timeouts: { readonly headersMs: number; readonly requestMs: number; readonly idleMs: number; readonly keepAliveMs: number };
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Sign-in attempts (by password or key, POST /session) allowed per username and per address in a window. */
  readonly signInLimit: { readonly max: number; readonly windowMs: number };
  /** How long a sign-in session lasts, from sign-in: it is not extended by use. */
  readonly sessionMs: number;
  readonly workers: number;
  readonly retentionHours: number;
  /** Notices when a job ends (issue 12): where webhooks may reach, how long they are retried, and e-mail's SMTP server. */
  readonly notices: NoticeSettings;
  readonly logLevel: string;
}

export interface NoticeSettings {
  /** Webhooks may reach loopback, private and link-local addresses, and use plain http. */
  readonly allowPrivate: boolean;
  /** How long a delivery is retried before it is FAILED. */
  readonly retryForMs: number;
  /** null: e-mail notices are off. */
  readonly smtpUrl: string | null;
  /** The sender of e-mail notices; set whenever smtpUrl is. */
  readonly mailFrom: string | null;
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

/**
 * The slowest upload link a lab should still be able to use: 64 KiB/s, about 0.5 Mbit/s, what a
 * poor ADSL or mobile uplink gives. It sets the default time a whole request may take.
 */
const slowestUploadBytesPerSecond = 64 * 1024;

function timeouts(env: Env, maxUploadBytes: number): Config['timeouts'] {
  // Past this a request is cut with 408, however steadily its bytes come. The largest upload the
  // server takes gets the time it needs on the slowest link (1,600 s, 27 minutes, for 100 MB); a
  // body trickled slower than that (issue 7 saw 1 byte every 5 s) is the attack this stops.
  const request = positive(env, 'ELNPORT_REQUEST_TIMEOUT_SECONDS', Math.ceil(maxUploadBytes / slowestUploadBytesPerSecond));
  // Headers are a few hundred bytes that any client sends at once; 30 s leaves room for a client
  // that opens its connection before it is ready, and stops a slow-loris trickle of headers.
  const headers = positive(env, 'ELNPORT_HEADERS_TIMEOUT_SECONDS', Math.min(30, request));
  if (headers > request) {
    throw invalidConfig(`ELNPORT_HEADERS_TIMEOUT_SECONDS (${headers}) must not be more than ELNPORT_REQUEST_TIMEOUT_SECONDS (${request})`);
  }
  return Object.freeze({
    headersMs: Math.round(headers * 1000),
    requestMs: Math.round(request * 1000),
    // Nothing received or sent for this long: a client that stopped sending its body or stopped
    // reading an answer. Every answer starts within a second or two, so two minutes is generous.
    idleMs: Math.round(positive(env, 'ELNPORT_IDLE_TIMEOUT_SECONDS', 120) * 1000),
    // An idle keep-alive connection is kept longer than the 60 s after which common load
    // balancers drop theirs, so the balancer never sends a request down a connection being closed.
    keepAliveMs: Math.round(positive(env, 'ELNPORT_KEEP_ALIVE_TIMEOUT_SECONDS', 72) * 1000),
  });
}

function notices(env: Env): NoticeSettings {
  const smtpUrl = url(env, 'ELNPORT_SMTP_URL', ['smtp:', 'smtps:']);
  const mailFrom = env.ELNPORT_MAIL_FROM?.trim() || null;
  if (smtpUrl !== null && mailFrom === null) throw invalidConfig('ELNPORT_MAIL_FROM (the sender of e-mail notices) must be set when ELNPORT_SMTP_URL is');
  // An address, alone or as `Name <address>`: nodemailer takes both.
  if (mailFrom !== null && !/^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(mailFrom)) {
    throw invalidConfig(`ELNPORT_MAIL_FROM must be an e-mail address (or "Name <address>"), got "${mailFrom}"`);
  }
  return Object.freeze({
    allowPrivate: flag(env, 'ELNPORT_WEBHOOK_ALLOW_PRIVATE'),
    retryForMs: Math.round(positive(env, 'ELNPORT_WEBHOOK_RETRY_FOR_SECONDS', 86_400) * 1000),
    smtpUrl,
    mailFrom,
  });
}

function role(given: string | undefined, databaseUrl: string | null): Role {
  const value = given || 'all';
  if (!(roles as readonly string[]).includes(value)) throw invalidConfig(`the role (--role or ELNPORT_ROLE) must be one of ${roles.join(', ')}, got "${value}"`);
  if (value !== 'all' && databaseUrl === null) {
    throw invalidConfig(
      `the role "${value}" needs PostgreSQL: the embedded SQLite database belongs to one process, which must be both api and worker (role "all"). Set DATABASE_URL to run api and worker processes apart`,
    );
  }
  return value as Role;
}

/** `overrides` are what the command line gives, which wins over the environment (`blobs` over ELNPORT_BLOBS). */
export function loadConfig(env: Env = process.env, overrides: { role?: string; blobs?: string } = {}): Config {
  const sysadminApiKey = env.ELNPORT_SYSADMIN_API_KEY || null;
  if (sysadminApiKey !== null && !/^[A-Za-z0-9_]{16,64}$/.test(sysadminApiKey)) {
    throw invalidConfig('ELNPORT_SYSADMIN_API_KEY must be 16–64 characters of A-Z, a-z, 0-9 and _');
  }
  const apiKeySecret = env.ELNPORT_API_KEY_SECRET?.trim() || null;
  // 32 characters of base64 (what `openssl rand -base64 32` prints is 44) carry 192 bits or more.
  if (apiKeySecret !== null && apiKeySecret.length < 32) {
    throw invalidConfig('ELNPORT_API_KEY_SECRET must be at least 32 characters (make one with: openssl rand -base64 32)');
  }
  const maxUploadBytes = Math.round(positive(env, 'ELNPORT_MAX_UPLOAD_MB', 100) * 1024 * 1024);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  return Object.freeze({
    role: role(overrides.role ?? env.ELNPORT_ROLE, databaseUrl),
    port: integer(env, 'PORT', 8080, 0),
    // Not PORT: an api and a worker on one machine then start with their defaults side by side,
    // and a load balancer pointed at PORT never finds a worker there that answers but serves no API.
    healthPort: integer(env, 'ELNPORT_HEALTH_PORT', 8081, 0),
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.ELNPORT_DATA_DIR || './data'),
    storage: storageSettings(overrides.blobs ? { ...env, ELNPORT_BLOBS: overrides.blobs } : env),
    databaseUrl,
    publicUrl: url(env, 'ELNPORT_PUBLIC_URL', ['http:', 'https:']),
    sysadminApiKey,
    apiKeySecret,
    maxUploadBytes,
    importLimits: Object.freeze({
      maxEntries: integer(env, importLimitSettings.maxEntries, defaultImportLimits.maxEntries, 1),
      maxTotalBytes: Math.round(positive(env, importLimitSettings.maxTotalBytes, defaultImportLimits.maxTotalBytes / 1024 / 1024) * 1024 * 1024),
      maxRatio: positive(env, importLimitSettings.maxRatio, defaultImportLimits.maxRatio),
      maxEntryBytes: maxUploadBytes,
      maxItems: integer(env, importLimitSettings.maxItems, defaultImportLimits.maxItems, 1),
    }),
    timeouts: timeouts(env, maxUploadBytes),
    rateLimit: Object.freeze({
      max: integer(env, 'ELNPORT_RATE_LIMIT', 600, 1),
      windowMs: integer(env, 'ELNPORT_RATE_WINDOW_SECONDS', 60, 1) * 1000,
    }),
    // Ten guesses a quarter-hour is plenty for a person who mistypes, and about a thousand a day
    // for anyone guessing one account's password, from however many addresses.
    signInLimit: Object.freeze({
      max: integer(env, 'ELNPORT_SIGN_IN_ATTEMPTS', 10, 1),
      windowMs: Math.round(positive(env, 'ELNPORT_SIGN_IN_WINDOW_MINUTES', 15) * 60_000),
    }),
    // A working day: a session left signed in on a shared lab computer ends by the next morning.
    sessionMs: Math.round(positive(env, 'ELNPORT_SESSION_HOURS', 12) * 3_600_000),
    // Per process that runs jobs (role worker or all); 0 leaves jobs waiting for workers elsewhere.
    workers: integer(env, 'ELNPORT_WORKERS', os.availableParallelism(), 0),
    retentionHours: positive(env, 'ELNPORT_RETENTION_HOURS', 48),
    notices: notices(env),
    logLevel: env.LOG_LEVEL || 'info',
  });
}
