import { errorBody, exportFailed } from './errors.js';
import type { Job } from './exportJob.js';

/**
 * A job as RSpace's clients read it (GET /jobs/{id}), and as a webhook notice carries it: the
 * enclosure link first when there is an archive, then self. `apiBase` is the absolute URL the
 * links start at, `…/api/v1`: the request's for an answer, the configured one for a notice.
 */
export function jobView(job: Job, apiBase: string) {
  const self = { link: `${apiBase}/jobs/${job.id}`, rel: 'self' };
  const links = job.status === 'COMPLETED' && job.archive ? [{ link: `${apiBase}/export/${job.archive.name}`, rel: 'enclosure' }, self] : [self];
  return { id: job.id, status: job.status, percentComplete: job.percentComplete, result: result(job), _links: links };
}

export type JobView = ReturnType<typeof jobView>;

function result(job: Job) {
  if (job.kind === 'import' && job.status === 'COMPLETED' && job.imported) return { kind: 'import' as const, ...job.imported };
  if (job.status === 'COMPLETED' && job.archive) {
    return {
      checksum: job.archive.checksum,
      algorithm: 'CRC32' as const,
      size: job.archive.size,
      expiryDate: job.archive.expiryDate,
      sha256: job.archive.sha256,
      archiveName: job.archive.name,
      documentsExported: job.counts?.documents ?? 0,
      foldersExported: job.counts?.folders ?? 0,
      filesExported: job.counts?.files ?? 0,
      recordsSkipped: job.counts?.skipped ?? 0,
      // Deleted by its owner, or by the sweeper once expired: the figures stay, the bytes are gone.
      archiveDeleted: job.archive.deleted !== null,
    };
  }
  if (job.status === 'FAILED') {
    // Dated when it failed, as it was stored: the same answer at every poll.
    const failure = errorBody(exportFailed(job.errorMessage ?? `The ${job.kind} failed`));
    return { ...failure, iso8601Timestamp: job.finished ?? failure.iso8601Timestamp };
  }
  return null;
}
