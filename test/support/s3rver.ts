import fs from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3Settings } from '../../src/blobs/s3Settings.js';
import { tempDir } from './tempDirs.js';

export interface FakeS3 {
  endpoint: string;
  /** Settings for the stores, with the prefix given. */
  settings(prefix?: string): S3Settings;
  /** A client that records the name of every command it sends. */
  client(): { client: S3Client; sent: string[] };
  /** The unfinished multipart uploads s3rver keeps on disk (it implements no ListMultipartUploads). */
  uploadsOnDisk(): string[];
  /** The key each of those uploads is for (s3rver keeps it beside the parts). */
  uploadKeysOnDisk(): string[];
  close(): Promise<void>;
}

/** s3rver's default credentials, which it checks signatures against. */
export const fakeS3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const fakeS3Bucket = 'bucket';

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
  const settings = (prefix = ''): S3Settings => ({ endpoint, bucket: fakeS3Bucket, prefix, region: 'us-east-1', forcePathStyle: true, redirectSeconds: null });
  return {
    endpoint,
    settings,
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
    close: () => server.close(),
  };
}
