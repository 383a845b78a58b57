import { ClientError } from './errors.js';
import { retryAfterSeconds } from './retryAfter.js';
import { jobStatuses, terminalStatuses, type Job, type JobKind } from './types.js';

/** A job as the server sent it, with its Retry-After. Unknown statuses stop here, as RSpace's Python client stops. */
export function toJob(body: unknown, headers?: Headers): Job {
  const job = body as Job;
  if (!job || typeof job !== 'object' || typeof job.id !== 'number' || !jobStatuses.includes(job.status)) {
    throw new ClientError('server', `Not a job, or an unknown job status: ${JSON.stringify(body)?.slice(0, 200)}`, { body });
  }
  const retryAfter = headers ? retryAfterSeconds(headers.get('retry-after')) : undefined;
  return retryAfter === undefined ? job : { ...job, retryAfterSeconds: retryAfter };
}

export function isTerminal(job: Job): boolean {
  return terminalStatuses.includes(job.status);
}

export function linkOf(job: Job, rel: string): string | undefined {
  return job._links?.find((l) => l.rel === rel)?.link;
}

/** "Export job 12", as progress lines and messages name a job. */
export function jobName(kind: JobKind, id: number): string {
  return `${kind === 'export' ? 'Export' : 'Import'} job ${id}`;
}
