import type { Readable, Writable } from 'node:stream';
import { archiveNamePattern } from '../domain/archiveNames.js';

/** A file being written for job `jobId`; invisible to downloads until `commit()`. */
export interface ArchiveDraft {
  readonly output: Writable;
  /** Makes the archive visible under its name, whole. */
  commit(): Promise<void>;
  /** Removes what was written; safe to call after a failed write or twice. */
  discard(): Promise<void>;
}

/** The headers a download is answered with, wherever its bytes come from. */
export interface DownloadHeaders {
  contentType: string;
  contentDisposition: string;
}

/** A draft left behind, with the job it belongs to (-1 for a stray). */
export interface DraftFile {
  jobId: number;
  /** What `removeDraft` takes to remove it. */
  file: string;
}

/**
 * Finished export archives by name: a local directory by default, S3-compatible storage at scale.
 * No archive is ever seen half-written, and the sweeper can tell whose each draft is.
 */
export interface ArchiveStore {
  draft(jobId: number, name: string): ArchiveDraft;
  /** The archive's size, or null when it is not there. */
  size(name: string): Promise<number | null>;
  /** The bytes, or an inclusive byte range of them. Rejects with code ENOENT for a missing archive. */
  open(name: string, range?: { start: number; end: number }): Promise<Readable>;
  delete(name: string): Promise<void>;
  /**
   * A short-lived URL to fetch the archive from without us, answered with `headers` and valid no
   * later than `until` (ms since the epoch); null when downloads stream through the API. Only a
   * store that can sign such URLs has it (S3, with ELNPORT_S3_REDIRECT).
   */
  directUrl?(name: string, headers: DownloadHeaders, until: number): Promise<string | null>;
  drafts(): Promise<DraftFile[]>;
  removeDraft(file: string): Promise<void>;
}

/** How every store names job `jobId`'s draft of archive `name`, so the sweeper can tell whose it is. */
export function draftName(jobId: number, name: string): string {
  if (!archiveNamePattern.test(name)) throw new Error(`Not an archive name: ${name}`);
  return `job-${jobId}-${name}`;
}

/** The job a draft (a draftName, with whatever a store adds after it) belongs to; -1 for anything else. */
export function draftJobId(file: string): number {
  const match = /^job-(\d+)-/.exec(file);
  return match ? Number(match[1]) : -1;
}
