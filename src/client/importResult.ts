import { ClientError } from './errors.js';
import type { ImportResult, Job } from './types.js';

/** What a COMPLETED import job created; any other job is refused, as archiveOf refuses a job with no archive. */
export function importOf(job: Job): ImportResult {
  const result = job.result as Partial<ImportResult> | null;
  if (job.status !== 'COMPLETED' || result?.kind !== 'import' || typeof result.folderId !== 'number' || !result.counts || !Array.isArray(result.warnings)) {
    throw new ClientError('usage', `Job ${job.id} is not a completed import (it is ${job.status})`);
  }
  return result as ImportResult;
}
