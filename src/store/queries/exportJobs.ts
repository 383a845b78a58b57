import { compiledOnce, type Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { ExportJobRow } from '../schema.js';
import type { ExportCounts } from '../../domain/exportModel.js';
import type { ExportJob, ExportRequest, ImportJob, ImportRequest, ImportResult, Job, JobStatus } from '../../domain/exportJob.js';

export function rowToJob(row: ExportJobRow): Job {
  const state = {
    id: row.id,
    ownerId: row.owner_id,
    status: row.status as JobStatus,
    percentComplete: row.percent_complete,
    attempts: row.attempts,
    workerId: row.worker_id,
    created: row.created,
    started: row.started,
    heartbeat: row.heartbeat,
    finished: row.finished,
    archive:
      row.archive_name && row.size !== null && row.checksum && row.expiry_date
        ? {
            name: row.archive_name,
            size: row.size,
            checksum: row.checksum,
            sha256: row.sha256 ?? '',
            expiryDate: row.expiry_date,
            deleted: row.archive_deleted,
          }
        : null,
    counts: row.counts_json ? (JSON.parse(row.counts_json) as ExportCounts) : null,
    errorMessage: row.error_message,
  };
  if (row.kind === 'import') {
    const request = { ...(JSON.parse(row.request_json) as Omit<ImportRequest, 'intoFolderId'>), intoFolderId: row.target_id };
    return { ...state, kind: 'import', request, imported: row.result_json ? (JSON.parse(row.result_json) as ImportResult) : null };
  }
  const extra = JSON.parse(row.request_json) as Omit<ExportRequest, 'format' | 'scope' | 'targetId'>;
  return { ...state, kind: 'export', request: { format: row.format, scope: row.scope, targetId: row.target_id, ...extra } as ExportRequest };
}

/** Rejects with a unique violation (see dialect.ts) when the owner already has an unfinished job. */
export async function insertExportJob(db: Db, ownerId: number, request: ExportRequest, created: string): Promise<ExportJob> {
  const { format, scope, targetId, ...rest } = request;
  const row = await db
    .insertInto('export_jobs')
    .values({
      owner_id: ownerId,
      format,
      scope,
      target_id: targetId,
      request_json: JSON.stringify(rest),
      status: 'STARTING',
      created,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToJob(row) as ExportJob;
}

/**
 * An import job's columns: the target folder in target_id, the upload in request_json and
 * upload_key (which the sweeper reads), no format or scope of an export. Rejects with a unique
 * violation when the owner already has an unfinished import.
 */
export async function insertImportJob(db: Db, ownerId: number, request: ImportRequest, created: string): Promise<ImportJob> {
  const { intoFolderId, ...rest } = request;
  const row = await db
    .insertInto('export_jobs')
    .values({
      owner_id: ownerId,
      kind: 'import',
      format: 'import',
      scope: 'archive',
      target_id: intoFolderId,
      request_json: JSON.stringify(rest),
      upload_key: request.uploadKey,
      status: 'STARTING',
      created,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToJob(row) as ImportJob;
}

const exportJobById = compiledOnce((db: Db, id: number) => db.selectFrom('export_jobs').selectAll().where('id', '=', id));

/** Each poll of a job asks, so the query is compiled once. */
export async function findJob(db: Db, id: number): Promise<Job | undefined> {
  if (!isStorableId(id)) return undefined;
  const [row] = await exportJobById(db, id);
  return row && rowToJob(row);
}

export async function findExportJobByArchive(db: Db, name: string): Promise<Job | undefined> {
  const row = await db.selectFrom('export_jobs').selectAll().where('archive_name', '=', name).executeTakeFirst();
  return row && rowToJob(row);
}

export async function countJobs(db: Db, ownerId: number): Promise<number> {
  const { n } = await db
    .selectFrom('export_jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('owner_id', '=', ownerId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function jobsPage(db: Db, ownerId: number, offset: number, limit: number): Promise<Job[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .orderBy('id', 'desc')
    .offset(offset)
    .limit(limit)
    .execute();
  return rows.map(rowToJob);
}

/** The owner's unfinished job of a kind: at most one, by the unique index that refuses a second. */
export async function unfinishedJob(db: Db, ownerId: number, kind: Job['kind']): Promise<Job | undefined> {
  const row = await db
    .selectFrom('export_jobs')
    .selectAll()
    .where('owner_id', '=', ownerId)
    .where('kind', '=', kind)
    .where('status', 'in', ['STARTING', 'STARTED'])
    .executeTakeFirst();
  return row && rowToJob(row);
}
