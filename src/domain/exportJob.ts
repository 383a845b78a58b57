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

export interface ExportJob {
  id: number;
  ownerId: number;
  request: ExportRequest;
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
 * A STARTED job whose heartbeat is older than this belonged to a process that died. Workers beat
 * every 2 s, so this leaves room for a long pause (a slow disk, a stop-the-world GC) before a live
 * job would be taken for dead, while a crashed job waits at most this long to run again.
 */
export const staleAfterMs = 15_000;

/** How many times a job interrupted by a dying process is run again before it is FAILED. */
export const maxAttempts = 3;

/** At most 2 decimals, never above 100, and 100 only for a finished archive. */
export function roundPercent(value: number, completed: boolean): number {
  if (completed) return 100;
  return Math.min(99.99, Math.max(0, Math.floor(value * 100) / 100));
}
