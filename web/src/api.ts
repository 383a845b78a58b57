/**
 * Every request the page makes, through the public HTTP API (the one /api/v1/openapi.json
 * describes) and nothing else: the page can do only what any client may.
 */

export interface Link {
  link: string;
  rel: string;
}

export interface User {
  id: number;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  role: string;
  hasPiRole: boolean;
  hasSysAdminRole: boolean;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}

export interface Group {
  id: number;
  name: string;
  type: string;
  members: { id: number; username: string; role: string }[];
}

export interface TreeRecord {
  id: number;
  globalId: string;
  name: string;
  type: 'FOLDER' | 'NOTEBOOK' | 'DOCUMENT' | 'MEDIA';
}

export interface ErrorBody {
  httpCode: number;
  message: string;
  errors?: string[];
}

export interface ArchiveResult {
  checksum: string;
  size: number;
  expiryDate: string;
  sha256: string;
  archiveName: string;
  documentsExported: number;
  recordsSkipped: number;
  archiveDeleted: boolean;
}

export interface ImportResult {
  kind: 'import';
  format: string;
  folderId: number;
  counts: { documents: number; folders: number; notebooks: number; files: number };
  warnings: string[];
}

export type JobStatus = 'STARTING' | 'STARTED' | 'COMPLETED' | 'FAILED' | 'ABANDONED';

export interface Job {
  id: number;
  status: JobStatus;
  percentComplete: number;
  result: ArchiveResult | ImportResult | ErrorBody | null;
  _links: Link[];
}

export interface Notifications {
  webhook: { url: string } | null;
  /** `available`: whether this server sends e-mail at all (it has an SMTP server). */
  email: { enabled: boolean; address: string; available: boolean };
  webhookSecret: string;
}

export interface Delivery {
  id: number;
  jobId: number;
  channel: 'webhook' | 'email';
  target: string;
  event: string;
  status: string;
  attempts: number;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
}

export type ExportFormat = 'html' | 'xml' | 'eln';

export interface ExportOptions {
  includeRevisionHistory: boolean;
  maxLinkLevel: number;
  /** yyyy-mm-dd, or empty for everything. */
  modifiedSince: string;
}

/** An answer other than 2xx, with the contract's message when it has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let signedOut: (message: string) => void = () => undefined;

/** Called when an answer shows the session is gone (expired, signed out elsewhere). */
export function onSignedOut(handler: (message: string) => void): void {
  signedOut = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  const retry = Number(response.headers.get('Retry-After'));
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (body.message) message = body.message;
  } catch {
    // not the contract's JSON (a proxy's page): the status line says enough
  }
  return new ApiError(response.status, message, Number.isFinite(retry) && retry > 0 ? retry : null);
}

interface Answer<T> {
  body: T;
  headers: Headers;
}

async function send<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (response.ok) return { body: (response.status === 204 ? null : await response.json()) as T, headers: response.headers };
  const error = await errorOf(response);
  // RSpace answers 401 for a refused export as well as for a missing sign-in: only the session's
  // own answer tells them apart.
  if (response.status === 401 && path !== '/session' && !(await currentSession())) {
    signedOut('Your session has ended: sign in again.');
  }
  throw error;
}

const get = async <T>(path: string): Promise<T> => (await send<T>('GET', path)).body;

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

/** The signed-in session, or null when there is none (401). */
export async function currentSession(): Promise<Session | null> {
  try {
    return remember(await get<Session>('/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      csrfToken = null;
      return null;
    }
    throw error;
  }
}

export type Credentials = { username: string; password: string } | { apiKey: string };

export async function signIn(credentials: Credentials): Promise<Session> {
  return remember((await send<Session>('POST', '/session', credentials)).body);
}

export async function signOut(): Promise<void> {
  await send('DELETE', '/session');
  csrfToken = null;
}

export const listGroups = () => get<Group[]>('/groups');

export const listUsers = async () => (await get<{ users: User[] }>('/sysadmin/users?pageSize=100')).users;

/** One page of what a folder holds (the home folder without an id). */
export const folderTree = (folderId: number | null, pageNumber: number) =>
  get<{ totalHits: number; records: TreeRecord[] }>(
    `/folders/tree${folderId === null ? '' : `/${folderId}`}?typesToInclude=folder,notebook,document&pageSize=100&pageNumber=${pageNumber}`,
  );

export type ExportTarget = { scope: 'user' | 'group'; id: number | null } | { scope: 'selection'; ids: number[] };

export async function startExport(format: ExportFormat, target: ExportTarget, options: ExportOptions): Promise<Job> {
  const query = new URLSearchParams();
  if (target.scope === 'selection') query.set('selections', target.ids.join(','));
  if (options.includeRevisionHistory) query.set('includeRevisionHistory', 'true');
  query.set('maxLinkLevel', String(options.maxLinkLevel));
  if (options.modifiedSince) query.set('modifiedSince', options.modifiedSince);
  const id = target.scope !== 'selection' && target.id !== null ? `/${target.id}` : '';
  return (await send<Job>('POST', `/export/${format}/${target.scope}${id}?${query}`)).body;
}

export const listJobs = async () => (await get<{ jobs: Job[] }>('/jobs?pageSize=50')).jobs;

/** A job and, while it runs, how many seconds the server asks to wait before asking again. */
export async function jobStatus(id: number): Promise<{ job: Job; retryAfter: number | null }> {
  const { body, headers } = await send<Job>('GET', `/jobs/${id}`);
  const retry = Number(headers.get('Retry-After'));
  return { job: body, retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null };
}

/**
 * Whether a finished job's archive can still be downloaded: the job's JSON stays the same after
 * its archive is deleted (or swept), and only the download itself answers 410 then.
 */
/** Cancels an unfinished job, or deletes a finished one's archive. */
export const deleteJob = async (id: number) => void (await send('DELETE', `/jobs/${id}`));

export const getNotifications = () => get<Notifications>('/me/notifications');

export const putNotifications = async (settings: { webhook: { url: string } | null; email: { enabled: boolean } }) =>
  (await send<Notifications>('PUT', '/me/notifications', settings)).body;

export const rotateSecret = async () => (await send<Notifications>('POST', '/me/notifications/secret')).body;

export const listDeliveries = async () => (await get<{ deliveries: Delivery[] }>('/me/notifications/deliveries?pageNumber=0&pageSize=20')).deliveries;
