import { jobName } from '../job.js';
import type { Job, JobKind } from '../types.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';
import { progressLine } from './line.js';

/** Shows how an upload, an export or import job and then a download are getting on, to a person or to a log. */
export interface ProgressReporter {
  /** An import's archive is being sent; fetch does not tell how far it has got. */
  upload(name: string, size: number): void;
  job(job: Job): void;
  download(name: string, received: number, total: number): void;
  /** Ends the current line, before anything else is printed. */
  end(): void;
}

const redrawIntervalMs = 100;
const logIntervalMs = 5000;

/** Bytes per second since the download (re)started; a restart from zero starts the count again. */
class Rate {
  private since = performance.now();
  private last = 0;

  update(received: number): { perSecond: number; secondsLeft: (total: number) => number } {
    if (received < this.last) this.since = performance.now();
    this.last = received;
    const seconds = (performance.now() - this.since) / 1000;
    const perSecond = seconds > 0 ? received / seconds : 0;
    return { perSecond, secondsLeft: (total) => (perSecond > 0 ? (total - received) / perSecond : Infinity) };
  }
}

function uploadLine(name: string, size: number): string {
  return `Uploading ${name} (${formatBytes(size)})`;
}

function downloadFigures(received: number, total: number, rate: Rate, done: boolean): string {
  const { perSecond, secondsLeft } = rate.update(received);
  const left = done ? 'done' : `${formatDuration(secondsLeft(total))} left`;
  return `${formatPercent(total > 0 ? received / total : 1)} ${formatBytes(received)}/${formatBytes(total)} ${formatBytes(perSecond)}/s ${left}`;
}

/** A terminal: a line per phase, redrawn in place at most ten times a second. */
function terminalReporter(stream: NodeJS.WriteStream, kind: JobKind): ProgressReporter {
  let drawnAt = 0;
  let width = 0;
  let open = false;
  let rate: Rate | null = null;
  const draw = (line: string, force: boolean) => {
    const now = performance.now();
    if (!force && now - drawnAt < redrawIntervalMs) return;
    drawnAt = now;
    // Spaces, not an erase escape, clear what is left of a longer line: nothing but text reaches the screen.
    stream.write(`\r${line.padEnd(width)}`);
    width = line.length;
    open = true;
  };
  const end = () => {
    if (open) stream.write('\n');
    open = false;
    width = 0;
  };
  let lastStatus = '';
  return {
    upload(name, size) {
      end();
      stream.write(`${uploadLine(name, size)}\n`);
    },
    job(job) {
      const changed = job.status !== lastStatus;
      lastStatus = job.status;
      draw(progressLine(jobName(kind, job.id), job.percentComplete / 100, `${formatPercent(job.percentComplete / 100)} ${job.status}`, stream.columns ?? 80), changed);
    },
    download(name, received, total) {
      if (!rate) {
        end();
        // The name alone on a line of its own: archive names are long, and the bar needs the room.
        stream.write(`Downloading ${name} (${formatBytes(total)})\n`);
        rate = new Rate();
      }
      const done = received >= total;
      draw(progressLine('Download', total > 0 ? received / total : 1, downloadFigures(received, total, rate, done), stream.columns ?? 80), done);
    },
    end,
  };
}

/** A log or a pipe: a plain line per status change, per 10 %, and at least every 5 s while something moves. */
function logReporter(stream: NodeJS.WritableStream, kind: JobKind): ProgressReporter {
  let key = '';
  let loggedAt = 0;
  let rate: Rate | null = null;
  const log = (nextKey: string, line: string) => {
    const now = performance.now();
    if (nextKey === key && now - loggedAt < logIntervalMs) return;
    key = nextKey;
    loggedAt = now;
    stream.write(`${line}\n`);
  };
  return {
    upload(name, size) {
      log('upload', uploadLine(name, size));
    },
    job(job) {
      log(`${job.status} ${Math.floor(job.percentComplete / 10)}`, `${jobName(kind, job.id)}: ${job.status}, ${formatPercent(job.percentComplete / 100).trim()}`);
    },
    download(name, received, total) {
      rate ??= new Rate();
      const figures = downloadFigures(received, total, rate, received >= total);
      log(`download ${Math.floor((total > 0 ? received / total : 1) * 10)}`, `Downloading ${name}: ${figures}`);
    },
    end() {},
  };
}

export function progressReporter(stream: NodeJS.WriteStream, kind: JobKind = 'export'): ProgressReporter {
  return stream.isTTY ? terminalReporter(stream, kind) : logReporter(stream, kind);
}

/** For --quiet: a job run from cron reports only its failures. */
export const silentReporter: ProgressReporter = { upload() {}, job() {}, download() {}, end() {} };
