import path from 'node:path';
import { ClientError } from './errors.js';
import { linkOf } from './job.js';
import type { Job } from './types.js';

/** What a COMPLETED job promises: where its archive is and what it must add up to. */
export interface ArchiveFacts {
  url: string;
  name: string;
  size: number;
  /** CRC32, decimal. */
  checksum: string;
  /** elnport adds it; RSpace does not. */
  sha256?: string;
}

export function archiveOf(job: Job): ArchiveFacts {
  const url = linkOf(job, 'enclosure');
  const result = (job.result ?? {}) as { size?: unknown; checksum?: unknown; sha256?: unknown };
  const size = Number(result.size);
  if (job.status !== 'COMPLETED' || !url || !Number.isSafeInteger(size) || size < 0 || result.checksum === undefined) {
    throw new ClientError('usage', `Export job ${job.id} has no archive to download (it is ${job.status})`);
  }
  return {
    url,
    name: archiveName(url, job.id),
    size,
    checksum: String(result.checksum),
    sha256: typeof result.sha256 === 'string' ? result.sha256 : undefined,
  };
}

/** The archive's own file name, from its link; never a path, whatever the link says. */
function archiveName(url: string, jobId: number): string {
  let name = '';
  try {
    name = path.basename(decodeURIComponent(new URL(url).pathname));
  } catch {
    // An undecodable link: fall back to the job's id.
  }
  return /^[\w.-]+$/.test(name) && !/^\.+$/.test(name) ? name : `export-${jobId}.zip`;
}
