import { invalidConfig } from '../domain/errors.js';
import { flag } from '../envFlag.js';

/** Where blobs and archives go when ELNPORT_BLOBS=s3. Credentials come from the AWS SDK's own chain. */
export interface S3Settings {
  /** An S3-compatible service's URL (MinIO, Ceph, R2…); null means AWS itself. */
  readonly endpoint: string | null;
  readonly bucket: string;
  /** Put before every key, e.g. `elnport/`, so that one bucket can serve several deployments. */
  readonly prefix: string;
  readonly region: string;
  /** `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`: what most self-hosted services need. */
  readonly forcePathStyle: boolean;
  /**
   * How long a presigned download URL lives when a download is answered with a redirect to it
   * (ELNPORT_S3_REDIRECT); null: downloads stream through the API.
   */
  readonly redirectSeconds: number | null;
  /**
   * How long a request may go without a byte either way before it fails (and is retried by the
   * SDK): without it, a service that takes a connection and never answers holds a blob read, an
   * export or a sweeper pass for ever.
   */
  readonly timeoutMs: number;
}

export type StorageSettings = { readonly kind: 'local' } | { readonly kind: 's3'; readonly s3: S3Settings };

type Env = Record<string, string | undefined>;

/**
 * 5 minutes: the client follows the redirect at once, and S3 checks a presigned URL when a
 * request starts, so a slow download is not cut short; a URL seen in a log or a proxy is soon
 * worthless, and a download resumed later asks us again, through the owner check, for a new one.
 */
const defaultRedirectSeconds = 300;
/** SigV4 refuses a presigned URL that lives longer than 7 days. */
const maxRedirectSeconds = 7 * 24 * 3600;

function redirectSeconds(env: Env): number | null {
  const raw = env.ELNPORT_S3_REDIRECT_SECONDS;
  if (!flag(env, 'ELNPORT_S3_REDIRECT')) {
    // A lifetime given without the redirect it is for is a setting that silently does nothing.
    if (raw) throw invalidConfig('ELNPORT_S3_REDIRECT_SECONDS is set, but ELNPORT_S3_REDIRECT is not true');
    return null;
  }
  if (!raw) return defaultRedirectSeconds;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= maxRedirectSeconds)) {
    throw invalidConfig(`ELNPORT_S3_REDIRECT_SECONDS must be a whole number of seconds from 1 to ${maxRedirectSeconds}, got "${raw}"`);
  }
  return seconds;
}

/**
 * 120 s, as the API's own idle timeout: an archive streamed from the bucket to a client that
 * stops reading for a while is not cut off from the bucket before the client would be cut off.
 */
const defaultTimeoutSeconds = 120;

function timeoutMs(env: Env): number {
  const raw = env.ELNPORT_S3_TIMEOUT_SECONDS;
  if (!raw) return defaultTimeoutSeconds * 1000;
  const seconds = Number(raw);
  if (!(Number.isFinite(seconds) && seconds > 0)) throw invalidConfig(`ELNPORT_S3_TIMEOUT_SECONDS must be a positive number of seconds, got "${raw}"`);
  return Math.round(seconds * 1000);
}

/** ELNPORT_BLOBS and the ELNPORT_S3_* variables, validated; part of the server's Config. */
export function storageSettings(env: Env): StorageSettings {
  const kind = env.ELNPORT_BLOBS || 'local';
  if (kind === 'local') return Object.freeze({ kind });
  if (kind !== 's3') throw invalidConfig(`ELNPORT_BLOBS must be local or s3, got "${kind}"`);
  const bucket = env.ELNPORT_S3_BUCKET ?? '';
  // The rules S3 gives for bucket names; a wrong name would otherwise fail only at the first upload.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw invalidConfig(`ELNPORT_S3_BUCKET must name a bucket (3–63 characters of a-z, 0-9, . and -), got "${bucket}"`);
  }
  const endpoint = env.ELNPORT_S3_ENDPOINT || null;
  if (endpoint !== null && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw invalidConfig(`ELNPORT_S3_ENDPOINT must start with http:// or https://, got "${endpoint}"`);
  }
  const prefix = env.ELNPORT_S3_PREFIX ?? '';
  // Characters that need no encoding anywhere a key goes (a CopySource, a URL path).
  if (prefix.startsWith('/') || (prefix !== '' && !prefix.endsWith('/')) || !/^[A-Za-z0-9._/-]*$/.test(prefix)) {
    throw invalidConfig(`ELNPORT_S3_PREFIX must be of A-Z, a-z, 0-9, ., _, - and /, end with / and not start with one, e.g. "elnport/", got "${prefix}"`);
  }
  return Object.freeze({
    kind,
    s3: Object.freeze({
      endpoint,
      bucket,
      prefix,
      // Services other than AWS ignore the region but the SDK signs with one; us-east-1 is S3's own default.
      region: env.ELNPORT_S3_REGION || 'us-east-1',
      forcePathStyle: flag(env, 'ELNPORT_S3_FORCE_PATH_STYLE'),
      redirectSeconds: redirectSeconds(env),
      timeoutMs: timeoutMs(env),
    }),
  });
}
