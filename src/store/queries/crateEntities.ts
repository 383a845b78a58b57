import { sql } from 'kysely';
import type { Db } from '../db.js';

/** Entities stored per statement: two parameters each, well under either database's limit. */
const perStatement = 200;

/**
 * Stores each document's RO-Crate entities in its plan row, in one statement per 200 documents
 * (one UPDATE per document made 5,000 round trips on PostgreSQL). UPDATE … FROM a VALUES list
 * reads the same on SQLite (3.33 and later) and PostgreSQL, whose VALUES columns are both called
 * column1, column2; the casts give PostgreSQL the types it cannot infer from parameters.
 */
export async function saveCrateEntities(db: Db, jobId: number, entities: { id: number; json: string }[]): Promise<void> {
  for (let i = 0; i < entities.length; i += perStatement) {
    const rows = entities.slice(i, i + perStatement).map(({ id, json }) => sql`(cast(${id} as integer), cast(${json} as text))`);
    await sql`update export_plan set crate_json = v.column2 from (values ${sql.join(rows)}) as v
      where export_plan.job_id = ${jobId} and export_plan.record_id = v.column1`.execute(db);
  }
}

/** The stored entities of the plan's documents, in id order, a page at a time. */
export async function* crateEntityPages(db: Db, jobId: number, limit: number): AsyncGenerator<string[]> {
  for (let after = 0; ; ) {
    const rows = await db
      .selectFrom('export_plan')
      .select(['record_id', 'crate_json'])
      .where('job_id', '=', jobId)
      .where('kind', '=', 'DOCUMENT')
      .where('record_id', '>', after)
      .orderBy('record_id')
      .limit(limit)
      .execute();
    const stored = rows.flatMap((r) => (r.crate_json ? [r.crate_json] : []));
    if (stored.length) yield stored;
    if (rows.length < limit) return;
    after = rows[rows.length - 1]!.record_id;
  }
}

/** Everyone who owns a record of the plan: the crate's Person entities. */
export async function planOwnerIds(db: Db, jobId: number): Promise<number[]> {
  const rows = await db.selectFrom('export_plan').select('owner_id').distinct().where('job_id', '=', jobId).orderBy('owner_id').execute();
  return rows.map((r) => r.owner_id);
}

/** Removes the plan's documents that were planned but not written, having no entities (see StoredEntities.finish), and says which. */
export async function forgetUnrenderedDocuments(db: Db, jobId: number): Promise<{ id: number; name: string }[]> {
  const rows = await db
    .deleteFrom('export_plan')
    .where('job_id', '=', jobId)
    .where('kind', '=', 'DOCUMENT')
    .where('crate_json', 'is', null)
    .returning(['record_id', 'name'])
    .execute();
  return rows.map((r) => ({ id: r.record_id, name: r.name }));
}

/** The stored entities holding any of `fragments` (LIKE's `_` may match more: the caller reads them). */
export async function crateEntitiesHolding(db: Db, jobId: number, fragments: string[]): Promise<{ id: number; json: string }[]> {
  if (fragments.length === 0) return [];
  const rows = await db
    .selectFrom('export_plan')
    .select(['record_id', 'crate_json'])
    .where('job_id', '=', jobId)
    .where((eb) => eb.or(fragments.map((f) => eb('crate_json', 'like', `%${f.replace(/[%\\]/g, '')}%`))))
    .execute();
  return rows.flatMap((r) => (r.crate_json ? [{ id: r.record_id, json: r.crate_json }] : []));
}
