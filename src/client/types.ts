/** The shapes of RSpace API v1 as the client sees them; servers may send more keys than named here. */

export interface ClientOptions {
  /** The server's root, e.g. http://host:8080; the client adds /api/v1. */
  baseUrl: string;
  apiKey: string;
  /** Another fetch, e.g. one that counts or logs requests. */
  fetch?: typeof fetch;
}

export type ExportFormat = 'html' | 'xml' | 'eln';
export type ExportScope = 'user' | 'group' | 'selection';

export interface ExportParams {
  format: ExportFormat;
  scope: ExportScope;
  /** The user (scope user) or group (scope group); omitted means the caller's own. */
  id?: number;
  /** Record ids, for scope selection only. */
  selections?: number[];
  includeRevisionHistory?: boolean;
  maxLinkLevel?: number;
  /** elnport extension: only records modified at or after this ISO-8601 instant. */
  modifiedSince?: string;
}

export type JobStatus = 'STARTING' | 'STARTED' | 'COMPLETED' | 'FAILED' | 'ABANDONED';
export const jobStatuses: readonly JobStatus[] = ['STARTING', 'STARTED', 'COMPLETED', 'FAILED', 'ABANDONED'];
export const terminalStatuses: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'ABANDONED'];

/** The server's job answer does not say which kind it is until an import completes: the caller knows. */
export type JobKind = 'export' | 'import';

export interface Link {
  link: string;
  rel: string;
}

export interface Job {
  id: number;
  status: JobStatus;
  percentComplete: number;
  /**
   * COMPLETED: an export's {checksum, algorithm, size, expiryDate, …} or an import's ImportResult;
   * FAILED: the server's error body; else null.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- servers add keys of their own (elnport's sha256, counts)
  result: any;
  _links: Link[];
  /** From the Retry-After header, when the server sent one. */
  retryAfterSeconds?: number;
}

export interface ImportOptions {
  /** elnport: a folder of the caller's to import into; default: a new folder named after the archive. */
  folderId?: number;
  /** Called once the file is found readable, just before its bytes are sent. */
  onUpload?: (name: string, size: number) => void;
  signal?: AbortSignal;
}

export interface ImportCounts {
  folders: number;
  notebooks: number;
  documents: number;
  revisions: number;
  comments: number;
  files: number;
  /** Files whose bytes the importer already had, shared rather than stored again. */
  filesReused: number;
}

/** What a COMPLETED import job's result says was created (elnport extension). */
export interface ImportResult {
  kind: 'import';
  format: 'rspace-xml' | 'eln';
  /** The folder the import made, or the one it was asked to import into. */
  folderId: number;
  counts: ImportCounts;
  /** Each item of the archive, by its id there, and its id here. */
  ids: Record<string, number>;
  /** What could not be represented or looked wrong; the import went on. */
  warnings: string[];
}

export interface JobPage {
  totalHits: number;
  jobs: Job[];
}

export interface WaitOptions {
  /** Default: six hours. */
  timeoutMs?: number;
  /** Called with the job after every poll. */
  onUpdate?: (job: Job) => void;
  signal?: AbortSignal;
}

export interface DownloadOptions {
  /** How many times a broken connection is retried; default 5. */
  retries?: number;
  onProgress?: (received: number, total: number) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  size: number;
  /** Decimal, as the server's result.checksum. */
  crc32: string;
  /** Hex. */
  sha256: string;
}

export interface User {
  id: number;
  username: string;
  [key: string]: unknown;
}

export interface DocumentField {
  id: number;
  name: string;
  type: string;
  content: string;
  [key: string]: unknown;
}

export interface DocumentSummary {
  id: number;
  globalId: string;
  name: string;
  created: string;
  lastModified: string;
  tags: string;
  [key: string]: unknown;
}

export interface Document extends DocumentSummary {
  version: number;
  fields: DocumentField[];
}

export interface DocumentPage {
  totalHits: number;
  pageNumber: number;
  documents: DocumentSummary[];
}

/** A PUT makes a new version; fields are matched by id, or by position when the id is left out. */
export interface DocumentChanges {
  name?: string;
  tags?: string;
  fields?: { id?: number; content?: string }[];
}
