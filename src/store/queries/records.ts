import { sql } from 'kysely';
import type { Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { NewRecordRow, RecordRowDb } from '../schema.js';
import type { Provenance, RecordKind, RecordRow } from '../../domain/model.js';

export type SortColumn = 'name' | 'created' | 'modified';
export interface SortOrder {
  column: SortColumn;
  direction: 'asc' | 'desc';
}

export interface Page {
  offset: number;
  limit: number;
}

export function rowToRecord(row: RecordRowDb): RecordRow {
  return {
    id: row.id,
    kind: row.kind as RecordKind,
    name: row.name,
    ownerId: row.owner_id,
    parentId: row.parent_id,
    created: row.created,
    modified: row.modified,
    version: row.version,
    tags: row.tags,
    formId: row.form_id,
    deleted: row.deleted_at !== null,
    provenance: row.provenance_json ? (JSON.parse(row.provenance_json) as Provenance) : null,
  };
}

export async function insertRecord(db: Db, row: NewRecordRow): Promise<number> {
  const { id } = await db.insertInto('records').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

/** A live (not deleted) record, or undefined. */
export async function findRecord(db: Db, id: number): Promise<RecordRow | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = await db
    .selectFrom('records')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row && rowToRecord(row);
}

export async function findRecords(db: Db, ids: number[]): Promise<RecordRow[]> {
  const storable = ids.filter(isStorableId);
  if (storable.length === 0) return [];
  const rows = await db.selectFrom('records').selectAll().where('id', 'in', storable).where('deleted_at', 'is', null).execute();
  return rows.map(rowToRecord);
}

export async function countChildren(db: Db, parentId: number, kinds: RecordKind[]): Promise<number> {
  const { n } = await db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('parent_id', '=', parentId)
    .where('kind', 'in', kinds)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Names sort as people read them, ignoring case: both databases compare bytes by default, which
 * would put "Charlie" before "alpha". The name itself, then the id, make the order total.
 */
function sortKeys(order: SortOrder) {
  const column = sql.ref(`records.${order.column}`);
  return [...(order.column === 'name' ? [sql`lower(${column})`] : []), column, sql.ref('records.id')];
}

export async function childrenPage(
  db: Db,
  parentId: number,
  kinds: RecordKind[],
  order: SortOrder,
  page: Page,
): Promise<RecordRow[]> {
  const rows = await db
    .selectFrom('records')
    .selectAll()
    .where('parent_id', '=', parentId)
    .where('kind', 'in', kinds)
    .where('deleted_at', 'is', null)
    .$call((q) => sortKeys(order).reduce((sorted, key) => sorted.orderBy(key, order.direction), q))
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(rowToRecord);
}

/** Marks a record and everything below it deleted; deleted records are never exported. */
export async function deleteSubtree(db: Db, id: number, at: string): Promise<void> {
  await db
    .withRecursive('subtree(id)', (qb) =>
      qb
        .selectFrom('records')
        .select('id')
        .where('id', '=', id)
        .unionAll((qb2) => qb2.selectFrom('records').innerJoin('subtree', 'subtree.id', 'records.parent_id').select('records.id')),
    )
    .updateTable('records')
    .set({ deleted_at: at })
    .where('id', 'in', (eb) => eb.selectFrom('subtree').select('id'))
    .where('deleted_at', 'is', null)
    .execute();
}

export async function updateRecord(
  db: Db,
  id: number,
  changes: { name?: string; tags?: string; version?: number; modified: string; parent_id?: number },
): Promise<void> {
  await db.updateTable('records').set(changes).where('id', '=', id).execute();
}

export interface DocumentFilter {
  /** Owners whose documents may be listed, or 'all' (a sysadmin). */
  owners: 'all' | number[];
  /** Matched, case-insensitively, in names, tags and field text. */
  query: string | null;
}

function escapeLike(text: string): string {
  return text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
}

function likeLower(column: string, pattern: string) {
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}

function documentsMatching(db: Db, filter: DocumentFilter) {
  let q = db.selectFrom('records').where('kind', '=', 'DOCUMENT').where('deleted_at', 'is', null);
  if (filter.owners !== 'all') q = q.where('owner_id', 'in', filter.owners.length ? filter.owners : [-1]);
  const text = filter.query;
  if (text) {
    const pattern = `%${escapeLike(text)}%`;
    q = q.where((eb) =>
      eb.or([
        likeLower('records.name', pattern),
        likeLower('records.tags', pattern),
        eb.exists(
          eb
            .selectFrom('fields')
            .select('fields.id')
            .whereRef('fields.document_id', '=', 'records.id')
            .where(likeLower('fields.text', pattern)),
        ),
      ]),
    );
  }
  return q;
}

export async function countDocuments(db: Db, filter: DocumentFilter): Promise<number> {
  const { n } = await documentsMatching(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}

export async function documentsPage(db: Db, filter: DocumentFilter, order: SortOrder, page: Page): Promise<RecordRow[]> {
  const rows = await documentsMatching(db, filter)
    .selectAll()
    .$call((q) => sortKeys(order).reduce((sorted, key) => sorted.orderBy(key, order.direction), q))
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(rowToRecord);
}
