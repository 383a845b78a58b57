import type { Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { RecordRow } from '../../domain/model.js';

/** The light rows an export is planned from: no field content, no file bytes. */
export type PlanRecord = Pick<RecordRow, 'id' | 'kind' | 'name' | 'ownerId' | 'parentId' | 'created' | 'modified'>;

/** Bound on ids per IN list: well under SQLite's and PostgreSQL's parameter limits. */
const chunkSize = 900;

export async function inChunks<T>(ids: number[], load: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += chunkSize) out.push(...(await load(ids.slice(i, i + chunkSize))));
  return out;
}

function planRecords(db: Db) {
  return db
    .selectFrom('records')
    .select(['id', 'kind', 'name', 'owner_id as ownerId', 'parent_id as parentId', 'created', 'modified'])
    .where('deleted_at', 'is', null);
}

export async function recordsOfOwners(db: Db, ownerIds: number[]): Promise<PlanRecord[]> {
  if (ownerIds.length === 0) return [];
  const rows = await planRecords(db).where('owner_id', 'in', ownerIds).orderBy('id').execute();
  return rows as PlanRecord[];
}

export async function planRecordsById(db: Db, ids: number[]): Promise<PlanRecord[]> {
  return inChunks(ids.filter(isStorableId), async (chunk) => (await planRecords(db).where('id', 'in', chunk).execute()) as PlanRecord[]);
}

/** Everything live below the given folders (not the folders themselves). */
export async function descendantsOf(db: Db, rootIds: number[]): Promise<PlanRecord[]> {
  return inChunks(rootIds, async (chunk) => {
    const rows = await db
      .withRecursive('below(id)', (qb) =>
        qb
          .selectFrom('records')
          .select('id')
          .where('parent_id', 'in', chunk)
          .where('deleted_at', 'is', null)
          .unionAll((qb2) =>
            qb2
              .selectFrom('records')
              .innerJoin('below', 'below.id', 'records.parent_id')
              .select('records.id')
              .where('records.deleted_at', 'is', null),
          ),
      )
      .selectFrom('records')
      .innerJoin('below', 'below.id', 'records.id')
      .select(['records.id', 'kind', 'name', 'owner_id as ownerId', 'parent_id as parentId', 'created', 'modified'])
      .execute();
    return rows as PlanRecord[];
  });
}

/** The documents the given documents' fields link to, whatever their state. */
export async function linkTargets(db: Db, documentIds: number[]): Promise<{ from: number; to: number }[]> {
  return inChunks(documentIds, (chunk) =>
    db
      .selectFrom('field_links')
      .innerJoin('fields', 'fields.id', 'field_links.field_id')
      .select(['fields.document_id as from', 'field_links.target_id as to'])
      .where('fields.document_id', 'in', chunk)
      .execute(),
  );
}

/** The gallery files the given documents' fields reference. */
export async function referencedFiles(db: Db, documentIds: number[]): Promise<{ documentId: number; fileId: number }[]> {
  return inChunks(documentIds, (chunk) =>
    db
      .selectFrom('field_files')
      .innerJoin('fields', 'fields.id', 'field_files.field_id')
      .select(['fields.document_id as documentId', 'field_files.file_id as fileId'])
      .where('fields.document_id', 'in', chunk)
      .execute(),
  );
}

/** Total bytes of the given gallery files, for progress. */
export async function mediaSizes(db: Db, ids: number[]): Promise<Map<number, number>> {
  const rows = await inChunks(ids, (chunk) =>
    db.selectFrom('media').select(['record_id', 'size']).where('record_id', 'in', chunk).execute(),
  );
  return new Map(rows.map((r) => [r.record_id, Number(r.size)]));
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
