import type { ExportCounts, ExportFormat, ExportScope } from './exportModel.js';

/** The five statuses RSpace's clients know; anything else makes the Python client stop. */
export type JobStatus = 'STARTING' | 'STARTED' | 'COMPLETED' | 'FAILED' | 'ABANDONED';
export const unfinishedStatuses: readonly JobStatus[] = ['STARTING', 'STARTED'];

export function isTerminal(status: JobStatus): boolean {
  return !unfinishedStatuses.includes(status);
}

export interface ExportRequest {
  format: ExportFormat;
  scope: ExportScope;
  /** The user (scope user) or group (scope group) to export; null means the caller's own. */
  targetId: number | null;
  selections: number[];
  includeRevisionHistory: boolean;
  maxLinkLevel: number;
  /** Incremental export: only records modified at or after this instant. */
  modifiedSince: string | null;
  /** The server's address as the requester saw it: the manifest's Source URL and absolute links. */
  sourceUrl: string;
}

export interface ExportArchive {
  name: string;
  size: number;
  /** CRC32 of the whole zip, as a decimal string (RSpace's wire form). */
  checksum: string;
  sha256: string;
  expiryDate: string;
  /** When the archive's file was removed (expiry or a DELETE), else null. */
  deleted: string | null;
}

/** An import (issue 11): the uploaded archive, its blob until the job is over, and where it goes. */
export interface ImportRequest {
  /** As uploaded: it names the folder the import makes. */
  archiveName: string;
  uploadKey: string;
  size: number;
  /** A folder of the importer's to import into, instead of a new one. */
  intoFolderId: number | null;
}

/** What a completed import created: the job's result. */
export interface ImportResult {
  format: 'rspace-xml' | 'eln';
  /** The folder the import made (named after the archive), or the one it was asked to fill. */
  folderId: number;
  counts: { folders: number; notebooks: number; documents: number; revisions: number; comments: number; files: number; filesReused: number };
  /** Each item of the archive, by its key there (`SD12`, a crate's `@id`, a file's path), and its id here. */
  ids: Record<string, number>;
  warnings: string[];
}

/** Exports and imports share one table, one id space, one lifecycle and one queue. */
export type Job = ExportJob | ImportJob;

export interface ExportJob extends JobState {
  kind: 'export';
  request: ExportRequest;
}

export interface ImportJob extends JobState {
  kind: 'import';
  request: ImportRequest;
  imported: ImportResult | null;
}

interface JobState {
  id: number;
  ownerId: number;
  status: JobStatus;
  percentComplete: number;
  attempts: number;
  workerId: string | null;
  created: string;
  started: string | null;
  heartbeat: string | null;
  finished: string | null;
  archive: ExportArchive | null;
  counts: ExportCounts | null;
  errorMessage: string | null;
}

/**
 * Where a job's archive stands: none (the job did not complete with one), deleted (its file was
 * removed, at expiry or by a DELETE), expired (past its expiryDate, its file not yet swept away)
 * or downloadable. The download route answers 410 for deleted and expired alike, and the sweeper
 * removes the expired ones: both ask here, so they cannot disagree on when an archive stops being
 * downloadable. Whether its file is really there is for the caller to look (this rule does no I/O).
 */
export type ArchiveState = 'none' | 'deleted' | 'expired' | 'downloadable';

export function archiveState(job: Pick<Job, 'status' | 'archive'>, now: string): ArchiveState {
  if (job.status !== 'COMPLETED' || !job.archive) return 'none';
  if (job.archive.deleted) return 'deleted';
  // Both are ISO-8601 UTC with milliseconds, which order as strings do.
  return job.archive.expiryDate < now ? 'expired' : 'downloadable';
}

/** At most 2 decimals, never above 100, and 100 only for a finished archive. */
export function roundPercent(value: number, completed: boolean): number {
  if (completed) return 100;
  return Math.min(99.99, Math.max(0, Math.floor(value * 100) / 100));
}
