import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { S3Settings } from './s3Settings.js';

/** One client for both stores: it keeps a pool of connections to the service. */
export function openS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // Since 3.729 the SDK adds CRC32 checksums to every upload by default, which S3-compatible
    // services older than that change reject; checksums only where a call requires one, as before.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    // The SDK sets no timeout of its own: an idle socket is closed after timeoutMs, which fails
    // its request, and a connection that is not made within 10 s (or that, if shorter) is given up.
    requestHandler: { connectionTimeout: Math.min(10_000, settings.timeoutMs), socketTimeout: settings.timeoutMs },
  });
}

/**
 * A key that is not there: GetObject says NoSuchKey, HeadObject (which has no body) NotFound. A
 * missing bucket fails GetObject loudly (NoSuchBucket), but HeadObject cannot tell it from a
 * missing key: an archive's size() then says null, and its download answers 410.
 */
function isMissing(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}

function missing(key: string, cause: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`No object ${key}`, { cause }), { code: 'ENOENT' });
}

/** The object's bytes or an inclusive range of them; rejects with code ENOENT when it is not there. */
export async function readObject(client: S3Client, bucket: string, key: string, range?: { start: number; end: number }): Promise<Readable> {
  try {
    const answer = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    // In Node the SDK's body is the HTTP response itself, a Readable.
    return answer.Body as Readable;
  } catch (error) {
    if (isMissing(error)) throw missing(key, error);
    throw error;
  }
}

export async function objectSize(client: S3Client, bucket: string, key: string): Promise<number | null> {
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/**
 * Streams `body` to `key`: one PutObject when it fits in a part (5 MiB), else a multipart upload
 * that lib-storage aborts if the body fails (leavePartsOnError is false), so no parts are left.
 */
export function uploadObject(client: S3Client, bucket: string, key: string, body: Readable): Upload {
  return new Upload({ client, params: { Bucket: bucket, Key: key, Body: body }, leavePartsOnError: false });
}
