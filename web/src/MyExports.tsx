import { useEffect, useState } from 'preact/hooks';
import { deleteJob, jobStatus, listJobs, type ArchiveResult, type ErrorBody, type ImportResult, type Job } from './api.js';
import { formatBytes } from '../../src/client/progress/format.js';
import { count, dateTime, timeLeft } from './format.js';

const running = (job: Job) => job.status === 'STARTING' || job.status === 'STARTED';
const imported = (job: Job): ImportResult | null => (job.result && 'kind' in job.result && job.result.kind === 'import' ? job.result : null);
const archive = (job: Job): ArchiveResult | null => (job.status === 'COMPLETED' && job.result && 'checksum' in job.result ? job.result : null);
const failure = (job: Job): ErrorBody | null => (job.result && 'httpCode' in job.result ? job.result : null);
const enclosure = (job: Job) => job._links.find((l) => l.rel === 'enclosure')?.link;

/**
 * The API tells an import from an export only by a completed job's result (an import's says so);
 * before that, and after a failure, a job is just a job.
 */
function title(job: Job): string {
  return `${imported(job) ? 'Import' : job.status === 'COMPLETED' ? 'Export' : 'Job'} ${job.id}`;
}

const statusWords: Record<Job['status'], string> = {
  STARTING: 'Waiting for a worker',
  STARTED: 'Running',
  COMPLETED: 'Done',
  FAILED: 'Failed',
  ABANDONED: 'Cancelled or abandoned',
};

/** Asks again when the server says (Retry-After), until the job ends; tells `update` each answer. */
function usePolling(job: Job, update: (job: Job, was: Job['status']) => void): void {
  useEffect(() => {
    if (!running(job)) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let was = job.status;
    const poll = (waitSeconds: number) => {
      timer = setTimeout(async () => {
        try {
          const { job: now, retryAfter } = await jobStatus(job.id);
          if (stopped) return;
          update(now, was);
          was = now.status;
          if (running(now)) poll(retryAfter ?? 2);
        } catch {
          if (!stopped) poll(5);
        }
      }, waitSeconds * 1000);
    };
    poll(1);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [job.id, running(job)]);
}

function JobCard({ job, now, update, remove }: {
  job: Job;
  now: number;
  update: (job: Job, was: Job['status']) => void;
  remove: (job: Job) => Promise<void>;
}) {
  usePolling(job, update);
  const into = imported(job);
  const failed = failure(job);
  const link = enclosure(job);
  const made = archive(job);
  const left = made ? timeLeft(made.expiryDate, now) : null;
  // Deleted before it expired (an expired one keeps its figures, marked expired).
  const done = made?.archiveDeleted && left ? null : made;
  const heading = `job-${job.id}`;
  return (
    <li class="job">
      <h2 id={heading}>
        {title(job)} <span class={`status ${job.status.toLowerCase()}`}>{statusWords[job.status]}</span>
      </h2>
      {(running(job) || done) && (
        <p>
          <label class="inline-label" for={`progress-${job.id}`}>Progress</label>{' '}
          <progress id={`progress-${job.id}`} max={100} value={job.percentComplete} /> {Math.floor(job.percentComplete)}%
        </p>
      )}
      {done && (
        <dl>
          <dt>File</dt>
          <dd>{done.archiveName}</dd>
          <dt>Size</dt>
          <dd>{formatBytes(done.size)} ({done.size} bytes)</dd>
          <dt>CRC32</dt>
          <dd><code>{done.checksum}</code></dd>
          <dt>SHA-256</dt>
          <dd><code class="hash">{done.sha256}</code></dd>
          <dt>Documents</dt>
          <dd>{done.documentsExported}{done.recordsSkipped ? `, ${done.recordsSkipped} skipped` : ''}</dd>
          <dt>Expires</dt>
          <dd>
            <time dateTime={done.expiryDate}>{dateTime(done.expiryDate)}</time> {left ? `(in ${left})` : '(expired)'}
          </dd>
        </dl>
      )}
      {job.status === 'COMPLETED' && !done && !into && <p class="muted">The archive was deleted.</p>}
      {into && (
        <p>
          Imported into folder {into.folderId}: {count(into.counts.documents, 'document')}, {count(into.counts.folders + into.counts.notebooks, 'folder or notebook', 'folders and notebooks')},{' '}
          {count(into.counts.files, 'file')}{into.warnings.length ? `; ${count(into.warnings.length, 'warning')}` : ''}.
        </p>
      )}
      {failed && <p class="error">{failed.message}</p>}
      <p class="actions">
        {done && link && left && (
          <a class="button" href={link} download={done.archiveName}>
            Download <span class="visually-hidden">{title(job)}</span>
          </a>
        )}
        {running(job) && (
          <button type="button" onClick={() => remove(job)}>
            Cancel <span class="visually-hidden">{title(job)}</span>
          </button>
        )}
        {done && (
          <button type="button" onClick={() => remove(job)}>
            Delete <span class="visually-hidden">the archive of {title(job)}</span>
          </button>
        )}
      </p>
    </li>
  );
}

/** The user's export and import jobs, newest first, read from the API so they survive a reload. */
export function MyExports() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState('');
  const [said, setSaid] = useState('');
  const [now, setNow] = useState(Date.now());

  const load = () => listJobs().then(setJobs, (failure: Error) => setError(failure.message));
  useEffect(() => {
    void load();
    const clock = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(clock);
  }, []);

  const update = (fresh: Job, was: Job['status']) => {
    setJobs((list) => list?.map((j) => (j.id === fresh.id ? fresh : j)) ?? null);
    if (fresh.status !== was) setSaid(`${title(fresh)}: ${statusWords[fresh.status]}${fresh.status === 'COMPLETED' ? ', ready to download' : ''}.`);
  };

  const remove = async (job: Job) => {
    setError('');
    try {
      await deleteJob(job.id);
      setSaid(running(job) ? `${title(job)} cancelled.` : `The archive of ${title(job)} was deleted.`);
      await load();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="my-exports">
      <h1 id="my-exports" tabIndex={-1}>My exports</h1>
      <p>
        <a href="#new">Start a new export</a>{' '}
        <button type="button" onClick={load}>Refresh</button>
      </p>
      <p role="status" class="visually-hidden">{said}</p>
      {error && <p role="alert" class="error">{error}</p>}
      {jobs === null ? (
        <p class="muted">Loading…</p>
      ) : jobs.length === 0 ? (
        <p>No exports yet.</p>
      ) : (
        <ul class="jobs">
          {jobs.map((job) => (
            <JobCard key={job.id} job={job} now={now} update={update} remove={remove} />
          ))}
        </ul>
      )}
    </section>
  );
}
