import type { Job } from './exportJob.js';
import { escapeHtml } from './fieldContent.js';
import type { JobView } from './jobView.js';

/** An e-mail telling a job's owner it ended: plain text, and the same said in HTML. */
export interface NoticeMail {
  subject: string;
  text: string;
  html: string;
}

/** The job as its owner would recognise it: "HTML export 23 (selection)", "import 24 of lab.zip". */
export function jobName(job: Job): string {
  return job.kind === 'export' ? `${job.request.format.toUpperCase()} export ${job.id} (${job.request.scope})` : `import ${job.id} of ${job.request.archiveName}`;
}

/** A date a person reads, in UTC as every date elnport gives: "Thu, 10 Dec 2026 05:00:00 GMT". */
function readableDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** The lines of the notice, each a sentence, with the link (if any) kept apart for HTML to make it one. */
function lines(job: Job, view: JobView): { headline: string; details: string[]; download: string | null } {
  const name = jobName(job);
  const download = view._links.find((l) => l.rel === 'enclosure')?.link ?? null;
  const self = view._links.find((l) => l.rel === 'self')!.link;
  const status = `Status: ${job.status}. The job: ${self}`;
  switch (job.status) {
    case 'COMPLETED':
      if (job.kind === 'import') {
        const counts = job.imported?.counts;
        const made = counts ? `It made ${counts.documents} documents, ${counts.folders + counts.notebooks} folders and notebooks and ${counts.files} files` : 'It is done';
        return { headline: `Your ${name} has completed.`, details: [`${made}, in folder ${job.imported?.folderId ?? '?'}.`, status], download: null };
      }
      return {
        headline: `Your ${name} has completed.`,
        details: [
          job.archive ? `It is ${job.archive.size} bytes (CRC32 ${job.archive.checksum}) and can be downloaded until ${readableDate(job.archive.expiryDate)}.` : 'Its archive is ready.',
          status,
        ],
        download,
      };
    case 'FAILED':
      return { headline: `Your ${name} has failed.`, details: [`Why: ${job.errorMessage ?? 'no reason was recorded'}`, status], download: null };
    default:
      return { headline: `Your ${name} was abandoned.`, details: [job.errorMessage ? `Why: ${job.errorMessage}` : 'It was cancelled.', status], download: null };
  }
}

export function noticeMail(job: Job, view: JobView): NoticeMail {
  const { headline, details, download } = lines(job, view);
  const text = [headline, '', ...(download ? [`Download: ${download}`] : []), ...details, '', '— elnport'].join('\n');
  const paragraphs = [headline, ...details].map((line) => `<p>${escapeHtml(line)}</p>`);
  if (download) paragraphs.splice(1, 0, `<p><a href="${escapeHtml(download)}">Download the archive</a></p>`);
  const html = `<!DOCTYPE html><html><body>${paragraphs.join('')}<p>— elnport</p></body></html>`;
  const outcome = job.status === 'COMPLETED' ? 'completed' : job.status === 'FAILED' ? 'failed' : 'abandoned';
  return { subject: `elnport: your ${jobName(job)} ${outcome}`, text, html };
}
