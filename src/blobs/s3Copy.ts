import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
// S3's limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). CopyObject takes
// objects up to 5 GiB and answers EntityTooLarge past it; a part is 5 MiB to 5 GiB (the last may be
// smaller), and an upload has at most 10,000 of them.
const maxSingleCopy = 5 * GiB;
const minPart = 5 * MiB;
const maxPart = 5 * GiB;
const maxParts = 10_000;

/** When a copy goes in parts, and how big they are: options so that a test can lower them. */
export interface CopyOptions {
  /** Objects larger than this are copied in parts; at most 5 GiB. */
  inPartsAbove: number;
  /** The wished-for size of a part, raised to keep within 10,000 parts. */
  partSize: number;
}

/**
 * 512 MiB parts: an archive just past 5 GiB copies in 11, and 10,000 of them reach 4.9 TiB, near
 * S3's largest object (5 TiB), so the part size is raised only for archives no export comes near.
 */
export const defaultCopyOptions: CopyOptions = { inPartsAbove: maxSingleCopy, partSize: 512 * MiB };

/**
 * The inclusive byte ranges of a copy of `size` bytes in parts of about `partSize`: every part but
 * the last at least 5 MiB and at most 5 GiB, and no more than 10,000 of them.
 */
export function copyRanges(size: number, partSize: number): { start: number; end: number }[] {
  const fewest = Math.ceil(size / maxParts);
  if (fewest > maxPart) throw new Error(`${size} bytes cannot be copied in ${maxParts} parts of at most ${maxPart} bytes`);
  const part = Math.max(minPart, fewest, Math.min(partSize, maxPart));
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < size; start += part) ranges.push({ start, end: Math.min(start + part, size) - 1 });
  return ranges;
}

/**
 * Copies `from` (of `size` bytes) to `to` inside the bucket: one CopyObject up to the threshold,
 * else a multipart upload of UploadPartCopy ranges, aborted on any failure so that no parts are
 * left. The parts are copied one after another: each is a copy inside the service, and doing them
 * in turn keeps the abort simple (no part is still being copied when it is sent).
 */
export async function copyObject(
  client: S3Client,
  bucket: string,
  from: string,
  to: string,
  size: number,
  options: CopyOptions,
): Promise<void> {
  // The prefix and draft names are limited to characters a CopySource needs no encoding for.
  const CopySource = encodeURI(`${bucket}/${from}`);
  if (size <= options.inPartsAbove) {
    await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource }));
    return;
  }
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
  try {
    const parts: CompletedPart[] = [];
    for (const [index, range] of copyRanges(size, options.partSize).entries()) {
      const PartNumber = index + 1;
      const answer = await client.send(
        new UploadPartCopyCommand({ Bucket: bucket, Key: to, UploadId, PartNumber, CopySource, CopySourceRange: `bytes=${range.start}-${range.end}` }),
      );
      parts.push({ PartNumber, ETag: answer.CopyPartResult?.ETag });
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    // The copy's failure is the one to report; an abort that fails too leaves the parts to the
    // bucket's AbortIncompleteMultipartUpload rule (docs/deploy.md).
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId })).catch(() => undefined);
    throw error;
  }
}
