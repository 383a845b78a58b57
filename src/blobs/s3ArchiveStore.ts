import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PassThrough, type Readable } from 'node:stream';
import { archiveNamePattern } from '../domain/archiveNames.js';
import { draftJobId, draftName, type ArchiveDraft, type ArchiveStore, type DownloadHeaders, type DraftFile } from './archiveStore.js';
import { objectSize, readObject, uploadObject } from './s3Objects.js';
import { copyObject, defaultCopyOptions, type CopyOptions } from './s3Copy.js';
import type { S3Settings } from './s3Settings.js';

/** What removeDraft is given for an unfinished multipart upload rather than a draft object. */
const uploadMark = '#upload=';

/**
 * Finished archives as `<prefix>archives/<name>`; each is streamed while it is written to a draft
 * `<prefix>drafts/job-<id>-<name>` and copied to its name at commit. Why a draft key rather than
 * a multipart upload to the final key completed only at commit: lib-storage completes its upload
 * when the stream ends, not when the build says the archive is good, and a draft object can be
 * listed, dated and removed with the calls every S3-compatible service has (ListObjectsV2,
 * DeleteObject), where ListMultipartUploads is missing from some (s3rver 3.7). The copy stays
 * inside the service, in parts for an archive larger than CopyObject takes (s3Copy.ts).
 */
export class S3ArchiveStore implements ArchiveStore {
  constructor(
    private readonly client: S3Client,
    private readonly settings: S3Settings,
    private readonly copy: CopyOptions = defaultCopyOptions,
  ) {}

  private finalKey(name: string): string {
    if (!archiveNamePattern.test(name)) throw new Error(`Not an archive name: ${name}`);
    return `${this.settings.prefix}archives/${name}`;
  }

  private get draftPrefix(): string {
    return `${this.settings.prefix}drafts/`;
  }

  draft(jobId: number, name: string): ArchiveDraft {
    const { client, copy } = this;
    const { bucket } = this.settings;
    const final = this.finalKey(name);
    const draft = `${this.draftPrefix}${draftName(jobId, name)}`;
    const output = new PassThrough();
    const uploaded = uploadObject(client, bucket, draft, output).done();
    // Awaited by commit or discard; until then a failure must not surface as an unhandled rejection.
    uploaded.catch(() => undefined);
    let copied = false;
    return {
      output,
      async commit() {
        await uploaded;
        const size = await objectSize(client, bucket, draft);
        if (size === null) throw new Error(`The draft ${draft} is gone before its commit`);
        await copyObject(client, bucket, draft, final, size, copy);
        copied = true;
        // The archive is whole under its name: a draft left by a failed delete is the sweeper's
        // to remove, and must not fail (and so discard) a good archive.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: draft })).catch(() => undefined);
      },
      async discard() {
        // The body fails, rather than upload.abort(): lib-storage's done() races the upload against
        // the abort signal, so abort() settles it at once, while parts are still being sent and the
        // AbortMultipartUpload is yet to come. A failed body settles done() only after the parts in
        // flight and then the AbortMultipartUpload are answered; before the first part is whole,
        // nothing has been sent, and no multipart upload is created.
        output.destroy(new Error('The archive was discarded'));
        await uploaded.catch(() => undefined);
        // An upload that had already completed left a draft object; a commit that failed after its
        // copy, the archive too, which no job would then own.
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: draft }));
        if (copied) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: final }));
      },
    };
  }

  async size(name: string): Promise<number | null> {
    return objectSize(this.client, this.settings.bucket, this.finalKey(name));
  }

  async open(name: string, range?: { start: number; end: number }): Promise<Readable> {
    return readObject(this.client, this.settings.bucket, this.finalKey(name), range);
  }

  async delete(name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.finalKey(name) }));
  }

  async directUrl(name: string, headers: DownloadHeaders, until: number): Promise<string | null> {
    const { bucket, redirectSeconds } = this.settings;
    if (redirectSeconds === null) return null;
    // Not past the archive's expiry (but for the one second a URL must live): after it, the
    // contract says 410, which a URL signed earlier would not.
    const seconds = Math.max(1, Math.min(redirectSeconds, Math.floor((until - Date.now()) / 1000)));
    const get = new GetObjectCommand({
      Bucket: bucket,
      Key: this.finalKey(name),
      // Signed into the URL, so that S3 answers with the headers our own download has.
      ResponseContentType: headers.contentType,
      ResponseContentDisposition: headers.contentDisposition,
    });
    return getSignedUrl(this.client, get, { expiresIn: seconds });
  }

  /** Draft objects, and the multipart uploads of drafts whose process died mid-write. */
  async drafts(): Promise<DraftFile[]> {
    const out: DraftFile[] = [];
    const { bucket } = this.settings;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: this.draftPrefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const file = object.Key!.slice(this.draftPrefix.length);
        // Only drafts of ours: a folder marker or a stranger's key under drafts/ is left alone.
        if (draftJobId(file) < 0) continue;
        out.push({ jobId: draftJobId(file), file });
      }
      token = page.NextContinuationToken;
    } while (token);
    for (const upload of await this.unfinishedUploads()) {
      const file = upload.key.slice(this.draftPrefix.length);
      out.push({ jobId: draftJobId(file), file: `${file}${uploadMark}${upload.id}` });
    }
    return out;
  }

  private async unfinishedUploads(): Promise<{ key: string; id: string }[]> {
    const out: { key: string; id: string }[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.settings.bucket, Prefix: this.draftPrefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }),
        );
        for (const upload of page.Uploads ?? []) {
          out.push({ key: upload.Key!, id: upload.UploadId! });
        }
        [keyMarker, idMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextUploadIdMarker] : [undefined, undefined];
      } while (keyMarker);
    } catch (error) {
      // A service that cannot list them (s3rver 3.7) leaves them to the bucket's lifecycle rule
      // (AbortIncompleteMultipartUpload); the draft objects are still swept.
      if (error instanceof S3ServiceException && error.name === 'NotImplemented') return [];
      throw error;
    }
    return out;
  }

  async removeDraft(file: string): Promise<void> {
    const { bucket } = this.settings;
    const [name = '', uploadId] = file.split(uploadMark);
    // Drafts are ours, but a key must never be built from anything else.
    if (!/^job-\d+-/.test(name) || !archiveNamePattern.test(name.replace(/^job-\d+-/, ''))) {
      throw new Error(`Not a draft: ${file}`);
    }
    const key = `${this.draftPrefix}${name}`;
    if (uploadId) await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    else await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}
