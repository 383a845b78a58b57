import { download } from './download.js';
import { exportRequest } from './exportRequest.js';
import { Http } from './http.js';
import { importForm } from './importRequest.js';
import { toJob } from './job.js';
import type {
  ClientOptions,
  Document,
  DocumentChanges,
  DocumentPage,
  DownloadOptions,
  DownloadResult,
  ExportParams,
  ImportOptions,
  Job,
  JobPage,
  User,
  WaitOptions,
} from './types.js';
import { waitForJob } from './wait.js';

/** RSpace API v1's export jobs and the content calls a backup script needs; works against elnport and RSpace. Imports are elnport's. */
export class ElnClient {
  private readonly http: Http;

  constructor(options: ClientOptions) {
    this.http = new Http(options.baseUrl, options.apiKey, options.fetch ?? fetch);
  }

  async whoami(): Promise<User> {
    return (await this.http.json<User>('GET', '/userDetails/whoami')).body;
  }

  async startExport(params: ExportParams): Promise<Job> {
    const { path, query } = exportRequest(params);
    const reply = await this.http.json<unknown>('POST', path, { query });
    return toJob(reply.body, reply.headers);
  }

  /**
   * elnport extension: uploads an RSpace XML archive (.zip) or a .eln file from disk, streamed,
   * and answers with the import job; its COMPLETED result is read by importOf.
   */
  async startImport(file: string, options: ImportOptions = {}): Promise<Job> {
    const { form, name, size } = await importForm(file, options.folderId);
    options.onUpload?.(name, size);
    const reply = await this.http.json<unknown>('POST', '/import', { form, signal: options.signal });
    return toJob(reply.body, reply.headers);
  }

  async getJob(id: number, signal?: AbortSignal): Promise<Job> {
    const reply = await this.http.json<unknown>('GET', `/jobs/${id}`, { signal });
    return toJob(reply.body, reply.headers);
  }

  /** elnport extension: the caller's jobs, newest first. */
  async listJobs(pageNumber?: number, pageSize?: number): Promise<JobPage> {
    const reply = await this.http.json<{ totalHits: number; jobs: unknown[] }>('GET', '/jobs', { query: { pageNumber, pageSize } });
    return { totalHits: reply.body.totalHits, jobs: reply.body.jobs.map((j) => toJob(j)) };
  }

  /** elnport extension: cancels an unfinished job, or deletes a finished job's archive. */
  async cancelJob(id: number): Promise<void> {
    await this.http.json<null>('DELETE', `/jobs/${id}`);
  }

  waitForJob(id: number, options?: WaitOptions): Promise<Job> {
    return waitForJob((signal) => this.getJob(id, signal), id, options);
  }

  download(job: Job, dest: string, options?: DownloadOptions): Promise<DownloadResult> {
    return download(this.http, job, dest, options);
  }

  async listDocuments(query?: string, pageNumber?: number, pageSize?: number): Promise<DocumentPage> {
    return (await this.http.json<DocumentPage>('GET', '/documents', { query: { query, pageNumber, pageSize } })).body;
  }

  async getDocument(id: number): Promise<Document> {
    return (await this.http.json<Document>('GET', `/documents/${id}`)).body;
  }

  /** Saved by the server as a new version of the document. */
  async updateDocument(id: number, changes: DocumentChanges): Promise<Document> {
    return (await this.http.json<Document>('PUT', `/documents/${id}`, { body: changes })).body;
  }
}
