import fs from 'node:fs';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { after } from 'node:test';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/blobs/s3Settings.js';
import { tempDir } from './tempDirs.js';

export interface FakeS3 {
  endpoint: string;
  /** Settings for the stores, with the prefix given. */
  settings(prefix?: string): S3Settings;
  /** What `elnport serve` is configured with to keep its blobs here under `prefix`, the AWS SDK's credentials included. */
  env(prefix: string): Record<string, string>;
  /** A client that records the name of every command it sends. */
  client(): { client: S3Client; sent: string[] };
  /** Every object's key under `prefix`, without the prefix, sorted. */
  keys(prefix: string): Promise<string[]>;
  /** The unfinished multipart uploads s3rver keeps on disk (it implements no ListMultipartUploads). */
  uploadsOnDisk(): string[];
  /** The key each of those uploads is for (s3rver keeps it beside the parts). */
  uploadKeysOnDisk(): string[];
  close(): Promise<void>;
}

/** s3rver's default credentials, which it checks signatures against. */
export const fakeS3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const fakeS3Bucket = 'bucket';
/** The same credentials where the AWS SDK's default chain looks for them. */
export const credentialsEnv = { AWS_ACCESS_KEY_ID: fakeS3Credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeS3Credentials.secretAccessKey };

/** An S3-compatible server in this process, on a free port, keeping its objects in a temp directory. */
export async function startFakeS3(): Promise<FakeS3> {
  const directory = tempDir('elnport-s3rver-');
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: fakeS3Bucket }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const uploadsDir = () => {
    const bucketDir = path.join(directory, fakeS3Bucket);
    const uploads = fs.readdirSync(bucketDir).find((name) => name.endsWith('._S3rver_uploads'));
    return uploads ? path.join(bucketDir, uploads) : null;
  };
  const lister = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: fakeS3Credentials });
  const settings = (prefix = ''): S3Settings => ({ endpoint, bucket: fakeS3Bucket, prefix, region: 'us-east-1', forcePathStyle: true, redirectSeconds: null, timeoutMs: 120_000 });
  return {
    endpoint,
    settings,
    env: (prefix) => ({
      ELNPORT_BLOBS: 's3',
      ELNPORT_S3_ENDPOINT: endpoint,
      ELNPORT_S3_BUCKET: fakeS3Bucket,
      ELNPORT_S3_PREFIX: prefix,
      ELNPORT_S3_FORCE_PATH_STYLE: 'true',
      ...credentialsEnv,
    }),
    client() {
      const sent: string[] = [];
      const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: fakeS3Credentials });
      client.middlewareStack.add(
        (next, context) => (args) => {
          sent.push(context.commandName as string);
          return next(args);
        },
        { step: 'initialize' },
      );
      return { client, sent };
    },
    async keys(prefix) {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await lister.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket, Prefix: prefix, ContinuationToken }));
        for (const object of page.Contents ?? []) keys.push(object.Key!.slice(prefix.length));
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      return keys.sort();
    },
    uploadsOnDisk() {
      const dir = uploadsDir();
      return dir ? fs.readdirSync(dir) : [];
    },
    uploadKeysOnDisk() {
      const dir = uploadsDir();
      return (dir ? fs.readdirSync(dir) : []).flatMap((id) => {
        try {
          return [fs.readFileSync(path.join(dir!, id, 'key'), 'utf8')];
        } catch {
          // Being initiated (no key file yet) or just completed (gone).
          return [];
        }
      });
    },
    async close() {
      lister.destroy();
      await server.close();
    },
  };
}

let shared: Promise<FakeS3> | undefined;
// At the top level, so that it runs once the whole file's tests have: the server's socket would
// otherwise keep the test process from ending.
after(async () => {
  await (await shared)?.close();
});

/**
 * One s3rver for the whole test process, started on first use, for the labs of the suite's S3 pass
 * (lab.ts) to keep their blobs in, each under a prefix of its own. The in-process servers' AWS SDK
 * finds the credentials in the process's environment, as on a deployed server, so they are put there.
 */
export function sharedFakeS3(): Promise<FakeS3> {
  if (!shared) {
    Object.assign(process.env, credentialsEnv);
    shared = startFakeS3();
  }
  return shared;
}
