import { setImmediate } from 'node:timers/promises';
import { PostgresAdapter, sql, type CompiledQuery, type ExpressionBuilder, type Insertable, type InsertQueryNode, type Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { DB, ExportPlanTable } from '../schema.js';
import { isStorableId } from '../dialect.js';
import type { RecordKind, RecordRow } from '../../domain/model.js';

/** The light rows an export is planned from: no field content, no file bytes. */
export type PlanRecord = Pick<RecordRow, 'id' | 'kind' | 'name' | 'ownerId' | 'parentId' | 'created' | 'modified'>;

/** A record in a job's plan. */
export type PlanRow = PlanRecord & {
  /** A file in its own media_ folder (true), or only copied beside the documents that show it. */
  ownFolder: boolean;
};

/** A record being added to a job's plan. */
export interface NewPlanRow {
  record: PlanRecord;
  ownFolder: boolean;
  linkLevel: number;
  /** azSortKey(record.name), computed by the caller: the database cannot. */
  sortKey: string;
  /** 0, or a folder still to walk: 1 to keep, 2 to drop once walked (not readable). */
  walk: 0 | 1 | 2;
}

/** Bound on ids per IN list: well under SQLite's and PostgreSQL's parameter limits. */
const chunkSize = 900;

/**
 * Plan rows read or inserted per statement (an insert has 12 parameters a row, under SQLite's
 * 32,766 and PostgreSQL's 65,535), each statement in a turn of the event loop of its own. SQLite
 * holds the loop while a statement runs: a page of 1,000 read, keyed and inserted held it 10–18
 * ms, and two exports planned at once added theirs up (bench responsive). PostgreSQL's wait off
 * the loop, and fewer round trips plan sooner.
 */
export function planRowsPerStatement(db: Db): number {
  return isPostgres(db) ? 1000 : 250;
}

/** Rows deleted per statement: 5,000 held SQLite (and so the event loop) 9–41 ms a statement; a large plan goes in short steps. */
const deleteChunk = 1000;

const containers: RecordKind[] = ['FOLDER', 'NOTEBOOK'];

export async function inChunks<T>(ids: number[], load: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += chunkSize) out.push(...(await load(ids.slice(i, i + chunkSize))));
  return out;
}

function planRecords(db: Db) {
  return db
    .selectFrom('records')
    .select(['records.id', 'records.kind', 'records.name', 'records.owner_id as ownerId', 'records.parent_id as parentId', 'records.created', 'records.modified'])
    .where('records.deleted_at', 'is', null);
}

export async function planRecordsById(db: Db, ids: number[]): Promise<PlanRecord[]> {
  return inChunks(ids.filter(isStorableId), async (chunk) => (await planRecords(db).where('records.id', 'in', chunk).execute()) as PlanRecord[]);
}

/** Records not yet in the job's plan. */
function outsidePlan(db: Db, jobId: number) {
  return planRecords(db).where(({ not, exists, selectFrom }) =>
    not(exists(selectFrom('export_plan as planned').select('planned.record_id').where('planned.job_id', '=', jobId).whereRef('planned.record_id', '=', 'records.id'))),
  );
}

/** One page, in id order after `after`, of the live records of one owner. */
export async function ownerRecordsPage(db: Db, ownerId: number, after: number, limit: number): Promise<PlanRecord[]> {
  const rows = await planRecords(db).where('records.owner_id', '=', ownerId).where('records.id', '>', after).orderBy('records.id').limit(limit).execute();
  return rows as PlanRecord[];
}

/** One page, in id order after `after`, of the live records directly inside `parentId`. */
export async function childrenPage(db: Db, parentId: number, after: number, limit: number): Promise<PlanRecord[]> {
  const rows = await planRecords(db).where('records.parent_id', '=', parentId).where('records.id', '>', after).orderBy('records.id').limit(limit).execute();
  return rows as PlanRecord[];
}

type PlanInsert = Insertable<ExportPlanTable>;

function planInsert(jobId: number, { record, ownFolder, linkLevel, sortKey, walk }: NewPlanRow): PlanInsert {
  return {
    job_id: jobId,
    record_id: record.id,
    kind: record.kind,
    name: record.name,
    owner_id: record.ownerId,
    parent_id: record.parentId,
    created: record.created,
    modified: record.modified,
    own_folder: ownFolder ? 1 : 0,
    link_level: linkLevel,
    sort_key: sortKey,
    walk,
  };
}

// A record already planned stays as it is: a selection may name it twice, or name it and a folder holding it.
function insertQuery(db: Db, rows: PlanInsert[]) {
  return db.insertInto('export_plan').values(rows).onConflict((oc) => oc.columns(['job_id', 'record_id']).doNothing());
}

function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * The insert of a full chunk, compiled once per database: its SQL is the same whatever the
 * values, and Kysely takes about 13 µs a row to compile a 1,000-row insert, more than SQLite
 * takes to write the row (1.3 s against 0.8 s for 100,000 rows).
 */
const fullChunkInserts = new WeakMap<Db, CompiledQuery>();

async function insertChunkOnSqlite(db: Db, chunk: PlanInsert[]): Promise<void> {
  const compiled = fullChunkInserts.get(db);
  const full = planRowsPerStatement(db);
  if (chunk.length < full || !compiled) {
    const query = insertQuery(db, chunk).compile();
    if (chunk.length === full) fullChunkInserts.set(db, query);
    await db.executeQuery(query);
    return;
  }
  const columns = (compiled.query as InsertQueryNode).columns!.map((c) => c.column.name as keyof PlanInsert);
  await db.executeQuery({ ...compiled, parameters: chunk.flatMap((row) => columns.map((column) => row[column] ?? null)) });
}

/**
 * The rows as one JSON parameter, unpacked by PostgreSQL into the table's own row type: half the
 * time of a 12,000-parameter insert, most of which goes in parsing and binding the parameters.
 */
async function insertChunkOnPostgres(db: Db, chunk: PlanInsert[]): Promise<void> {
  await sql`insert into export_plan select * from json_populate_recordset(null::export_plan, ${JSON.stringify(chunk)}::json)
    on conflict (job_id, record_id) do nothing`.execute(db);
}

export async function insertPlanRows(db: Db, jobId: number, rows: NewPlanRow[]): Promise<void> {
  const insert = isPostgres(db) ? insertChunkOnPostgres : insertChunkOnSqlite;
  const size = planRowsPerStatement(db);
  for (let i = 0; i < rows.length; i += size) {
    if (i > 0) await setImmediate();
    await insert(db, rows.slice(i, i + size).map((row) => planInsert(jobId, row)));
  }
}

/** A folder of the plan whose contents are still to be walked, lowest id first. */
export async function nextToWalk(db: Db, jobId: number): Promise<{ id: number; walk: 1 | 2 } | undefined> {
  const row = await db
    .selectFrom('export_plan')
    .select(['record_id', 'walk'])
    .where('job_id', '=', jobId)
    .where('walk', '>', 0)
    .orderBy('record_id')
    .limit(1)
    .executeTakeFirst();
  return row && { id: row.record_id, walk: row.walk === 2 ? 2 : 1 };
}

/** A folder's contents are in the plan: the folder stays (walk 1) or goes (walk 2, one the viewer may not read). */
export async function markWalked(db: Db, jobId: number, folder: { id: number; walk: 1 | 2 }): Promise<void> {
  if (folder.walk === 2) await db.deleteFrom('export_plan').where('job_id', '=', jobId).where('record_id', '=', folder.id).execute();
  else await db.updateTable('export_plan').set({ walk: 0 }).where('job_id', '=', jobId).where('record_id', '=', folder.id).execute();
}

/**
 * Removes the folders and notebooks of the plan that hold none of its documents and files, at
 * any depth: an incremental export keeps only the folders that place what changed. The walk up
 * stops at the first folder the plan lacks, as a folder outside the export places nothing.
 */
export async function removeUnplacingFolders(db: Db, jobId: number): Promise<void> {
  await db
    .withRecursive('placing(id)', (qb) =>
      qb
        .selectFrom('export_plan')
        .select('parent_id as id')
        .where('job_id', '=', jobId)
        .where('kind', 'in', ['DOCUMENT', 'MEDIA'])
        .where('parent_id', 'is not', null)
        .union((qb2) =>
          qb2
            .selectFrom('export_plan as up')
            .innerJoin('placing', 'placing.id', 'up.record_id')
            .select('up.parent_id as id')
            .where('up.job_id', '=', jobId)
            .where('up.parent_id', 'is not', null),
        ),
    )
    .deleteFrom('export_plan')
    .where('job_id', '=', jobId)
    .where('kind', 'in', containers)
    .where('record_id', 'not in', (eb) => eb.selectFrom('placing').select('placing.id').where('placing.id', 'is not', null).$narrowType<{ id: number }>())
    .execute();
}

/** Ids after `after`, up to `end` (inclusive; no bound when null). */
export interface IdRange {
  after: number;
  end: number | null;
}

/** Rows of the plan that one statement may pass over, looking for the rows a page wants. */
const windowRows = 5000;

/**
 * Where a window of `windowRows` rows of the job's plan after `after` ends, in id order (among
 * the contents of folder `parent`, when given); null when fewer rows remain.
 */
async function windowEnd(db: Db, jobId: number, parent: number | undefined, after: number): Promise<number | null> {
  let query = db.selectFrom('export_plan').select('record_id').where('job_id', '=', jobId).where('record_id', '>', after);
  if (parent !== undefined) query = query.where('parent_id', '=', parent);
  const row = await query.orderBy('record_id').offset(windowRows - 1).limit(1).executeTakeFirst();
  return row?.record_id ?? null;
}

/**
 * Pages of at most `limit` of the rows that `page` picks from the job's plan, in id order. Each
 * statement reads within one window of the plan: a page of what is rare (files, folders, the
 * top of the archive, a far link level) would otherwise read the whole plan at once, which on
 * SQLite holds the event loop. Between pages the loop runs, as SQLite answers within one turn.
 */
export async function* planPages<T>(
  db: Db,
  jobId: number,
  { parent, limit }: { parent?: number; limit: number },
  page: (range: IdRange, limit: number) => Promise<T[]>,
  id: (item: T) => number,
): AsyncGenerator<T[]> {
  for (let after = 0; ; ) {
    const end = await windowEnd(db, jobId, parent, after);
    for (;;) {
      const items = await page({ after, end }, limit);
      if (items.length) yield items;
      await setImmediate();
      if (items.length < limit) break;
      after = id(items[items.length - 1]!);
    }
    if (end === null) return;
    after = end;
  }
}

/** The ids of the plan's documents in `range` (of one link level, if given), at most `limit`, in id order. */
export async function plannedDocumentIds(db: Db, jobId: number, linkLevel: number | null, { after, end }: IdRange, limit: number): Promise<number[]> {
  let query = db.selectFrom('export_plan').select('record_id').where('job_id', '=', jobId).where('kind', '=', 'DOCUMENT').where('record_id', '>', after);
  if (end !== null) query = query.where('record_id', '<=', end);
  if (linkLevel !== null) query = query.where('link_level', '=', linkLevel);
  const rows = await query.orderBy('record_id').limit(limit).execute();
  return rows.map((r) => r.record_id);
}

// The two reads below check the kind of record they want in JS, not in SQL: without statistics
// SQLite takes `records.kind = ?` for the most selective term and read every document of the
// database for each page, rather than starting from the page's fields.

/** The live documents that the fields of `documentIds` link to and that the plan lacks, each once. */
export async function linkedDocumentsOutside(db: Db, jobId: number, documentIds: number[]): Promise<PlanRecord[]> {
  if (documentIds.length === 0) return [];
  const rows = await outsidePlan(db, jobId)
    .innerJoin('field_links', 'field_links.target_id', 'records.id')
    .innerJoin('fields', 'fields.id', 'field_links.field_id')
    .where('fields.document_id', 'in', documentIds)
    .distinct()
    .execute();
  return (rows as PlanRecord[]).filter((r) => r.kind === 'DOCUMENT');
}

/** A live gallery file that a document's field shows, with its size and whether (and how) the plan holds it. */
export interface FileReference {
  documentId: number;
  file: PlanRecord;
  size: number;
  planned: 'own' | 'copy' | null;
}

/** The live gallery files shown by the fields of `documentIds`, one row per document and file. */
export async function referencedFiles(db: Db, jobId: number, documentIds: number[]): Promise<FileReference[]> {
  if (documentIds.length === 0) return [];
  const rows = await planRecords(db)
    .innerJoin('field_files', 'field_files.file_id', 'records.id')
    .innerJoin('fields', 'fields.id', 'field_files.field_id')
    .leftJoin('media', 'media.record_id', 'records.id')
    .leftJoin('export_plan as planned', (join) => join.onRef('planned.record_id', '=', 'records.id').on('planned.job_id', '=', jobId))
    .select(['fields.document_id as documentId', 'media.size', 'planned.own_folder as plannedOwnFolder'])
    .where('fields.document_id', 'in', documentIds)
    .distinct()
    .execute();
  return rows.filter((r) => r.kind === 'MEDIA').map(({ documentId, size, plannedOwnFolder, ...file }) => ({
    documentId,
    file: file as PlanRecord,
    size: Number(size ?? 0),
    planned: plannedOwnFolder === null ? null : plannedOwnFolder === 1 ? 'own' : 'copy',
  }));
}

/**
 * PostgreSQL plans its reads from statistics, which a table just filled lacks: it then took a
 * bitmap scan and a sort of all the rest of the job's rows for each page of the plan (40 ms a
 * page at 100,000 documents, so quadratic), where an ordered index scan reads only the page.
 * SQLite needs nothing: its plans follow from the queries' shape.
 */
export async function refreshPlanStatistics(db: Db): Promise<void> {
  if (isPostgres(db)) await sql`analyze export_plan`.execute(db);
}

/**
 * How many documents, folders (and notebooks) and files the plan holds, a copied file once, and
 * the bytes of the files in their own media_ folder; counted a window at a time (planPages).
 */
export async function planTotals(db: Db, jobId: number): Promise<{ documents: number; folders: number; files: number; ownFolderBytes: number }> {
  const totals = { documents: 0, folders: 0, files: 0, ownFolderBytes: 0 };
  for (let after = 0; ; ) {
    const end = await windowEnd(db, jobId, undefined, after);
    let query = db
      .selectFrom('export_plan as p')
      .leftJoin('media', (join) => join.onRef('media.record_id', '=', 'p.record_id').on('p.kind', '=', 'MEDIA').on('p.own_folder', '=', 1))
      .select((eb) => ['p.kind', eb.fn.countAll<number | string>().as('n'), eb.fn.sum<number | string | null>('media.size').as('bytes')])
      .where('p.job_id', '=', jobId)
      .where('p.record_id', '>', after);
    if (end !== null) query = query.where('p.record_id', '<=', end);
    for (const { kind, n, bytes } of await query.groupBy('p.kind').execute()) {
      if (kind === 'DOCUMENT') totals.documents += Number(n);
      else if (kind === 'MEDIA') totals.files += Number(n);
      else totals.folders += Number(n);
      totals.ownFolderBytes += Number(bytes ?? 0);
    }
    if (end === null) return totals;
    after = end;
    await setImmediate();
  }
}

/** Removes a job's plan, a bounded number of rows at a time; `unlessRunning` leaves a job that is (again) being built. */
async function removePlanRows(db: Db, jobId: number, unlessRunning: boolean): Promise<void> {
  for (;;) {
    let query = db
      .deleteFrom('export_plan')
      .where('job_id', '=', jobId)
      .where('record_id', 'in', (eb) => eb.selectFrom('export_plan').select('record_id').where('job_id', '=', jobId).orderBy('record_id').limit(deleteChunk));
    // Asked in the same statement: a job claimed again meanwhile keeps the rows its new attempt writes.
    if (unlessRunning) {
      query = query.where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('export_jobs').select('export_jobs.id').where('export_jobs.id', '=', jobId).where('export_jobs.status', '=', 'STARTED'))),
      );
    }
    const { numDeletedRows } = await query.executeTakeFirst();
    if (Number(numDeletedRows) < deleteChunk) return;
    await setImmediate();
  }
}

export async function discardPlan(db: Db, jobId: number): Promise<void> {
  await removePlanRows(db, jobId, false);
}

/** Removes the plans of jobs that are not being built: left by a process that stopped or crashed mid-export. */
export async function discardOrphanPlans(db: Db): Promise<void> {
  // Job by job, each found from the primary key in one step, rather than reading every row.
  for (let after = 0; ; ) {
    const next = await db.selectFrom('export_plan').select('job_id').where('job_id', '>', after).orderBy('job_id').limit(1).executeTakeFirst();
    if (!next) return;
    after = next.job_id;
    await removePlanRows(db, after, true);
  }
}

/** The records of the plan among `ids`. */
export async function plannedRecords(db: Db, jobId: number, ids: readonly number[]): Promise<PlanRow[]> {
  return inChunks(ids.filter(isStorableId), async (chunk) => (await planRows(db, jobId).where('p.record_id', 'in', chunk).execute()).map(toPlanRow));
}

function planRows(db: Db, jobId: number) {
  return db
    .selectFrom('export_plan as p')
    .select(['p.record_id', 'p.kind', 'p.name', 'p.owner_id', 'p.parent_id', 'p.created', 'p.modified', 'p.own_folder'])
    .where('p.job_id', '=', jobId);
}

function toPlanRow(row: Selectable<Omit<ExportPlanTable, 'job_id' | 'link_level' | 'sort_key' | 'walk' | 'crate_json'>>): PlanRow {
  return {
    id: row.record_id,
    kind: row.kind as RecordKind,
    name: row.name,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    created: row.created,
    modified: row.modified,
    ownFolder: row.own_folder === 1,
  };
}

export interface PlanSelection {
  kinds: RecordKind[];
  /** Only records in their own folder: every document and folder, and the files not merely copied. */
  ownFolder?: true;
  /**
   * Where in the archive: a folder's id for what sits directly inside it (when the archive holds
   * it), null for the top (records whose parent the archive lacks); anywhere when left out.
   */
  parent?: number | null;
}

/** The plan's records in `range` that `selection` picks, at most `limit`, in id order. */
export async function planPage(db: Db, jobId: number, selection: PlanSelection, { after, end }: IdRange, limit: number): Promise<PlanRow[]> {
  let query = planRows(db, jobId).where('p.kind', 'in', selection.kinds).where('p.record_id', '>', after);
  if (end !== null) query = query.where('p.record_id', '<=', end);
  if (selection.ownFolder) query = query.where('p.own_folder', '=', 1);
  const { parent } = selection;
  if (parent !== undefined) {
    // A folder of the archive: `folder`, or the row's own parent.
    const folderInPlan = (eb: ExpressionBuilder<DB & { p: ExportPlanTable }, 'p'>, folder: number | null) =>
      eb.exists(
        eb
          .selectFrom('export_plan as f')
          .select('f.record_id')
          .where('f.job_id', '=', jobId)
          .where('f.kind', 'in', containers)
          .where('f.record_id', '=', folder ?? eb.ref('p.parent_id')),
      );
    query = parent === null ? query.where((eb) => eb.not(folderInPlan(eb, null))) : query.where('p.parent_id', '=', parent).where((eb) => folderInPlan(eb, parent));
  }
  return (await query.orderBy('p.record_id').limit(limit).execute()).map(toPlanRow);
}

/** A folder or notebook of the plan, with what its page and folderTree.xml say of it. */
export type PlanFolderRow = PlanRow & {
  /** Its parent when the archive holds that too, else null. */
  archiveParentId: number | null;
  ownerUsername: string;
  ownerHomeFolderId: number | null;
  ownerGalleryFolderId: number | null;
};

/** The folders and notebooks of the plan among `ids`, in id order. */
export async function plannedFolders(db: Db, jobId: number, ids: readonly number[]): Promise<PlanFolderRow[]> {
  const rows = await inChunks(ids.filter(isStorableId), (chunk) =>
    planRows(db, jobId)
      .leftJoin('export_plan as f', (join) => join.onRef('f.job_id', '=', 'p.job_id').onRef('f.record_id', '=', 'p.parent_id').on('f.kind', 'in', containers))
      .leftJoin('users as u', 'u.id', 'p.owner_id')
      .select(['f.record_id as archive_parent_id', 'u.username', 'u.home_folder_id', 'u.gallery_folder_id'])
      .where('p.kind', 'in', containers)
      .where('p.record_id', 'in', chunk)
      .execute(),
  );
  return rows
    .map((row) => ({
      ...toPlanRow(row),
      archiveParentId: row.archive_parent_id,
      ownerUsername: row.username ?? '',
      ownerHomeFolderId: row.home_folder_id,
      ownerGalleryFolderId: row.gallery_folder_id,
    }))
    .sort((a, b) => a.id - b.id);
}

/** One page of the plan's records in their own folder, in A–Z order (sort key, then id) after `after`. */
export async function planPageByName(db: Db, jobId: number, after: { sortKey: string; id: number } | null, limit: number): Promise<(PlanRow & { sortKey: string })[]> {
  let query = planRows(db, jobId).select('p.sort_key').where('p.own_folder', '=', 1);
  if (after) query = query.where((eb) => eb(eb.refTuple('p.sort_key', 'p.record_id'), '>', eb.tuple(after.sortKey, after.id)));
  const rows = await query.orderBy('p.sort_key').orderBy('p.record_id').limit(limit).execute();
  return rows.map((row) => ({ ...toPlanRow(row), sortKey: row.sort_key }));
}

/** What each of the given fields references: gallery files and linked documents. */
export async function fieldReferences(
  db: Db,
  fieldIds: number[],
): Promise<{ files: { fieldId: number; fileId: number }[]; links: { fieldId: number; targetId: number; name: string; live: boolean }[] }> {
  const files = await inChunks(fieldIds, async (chunk) =>
    (await db.selectFrom('field_files').select(['field_id', 'file_id']).where('field_id', 'in', chunk).orderBy('file_id').execute()).map(
      (r) => ({ fieldId: r.field_id, fileId: r.file_id }),
    ),
  );
  const links = await inChunks(fieldIds, async (chunk) =>
    (
      await db
        .selectFrom('field_links')
        .innerJoin('records', 'records.id', 'field_links.target_id')
        .select(['field_links.field_id', 'field_links.target_id', 'records.name', 'records.deleted_at'])
        .where('field_links.field_id', 'in', chunk)
        .orderBy('field_links.target_id')
        .execute()
    ).map((r) => ({ fieldId: r.field_id, targetId: r.target_id, name: r.name, live: r.deleted_at === null })),
  );
  return { files, links };
}
