import type { Lab } from './lab.js';

/**
 * What a lab holds, row by row and blob by blob: a refused request must leave every figure as it
 * was (nothing created, nothing deleted, no blob left behind by an upload that failed).
 */
export async function contentCounts(lab: Lab): Promise<Record<string, number>> {
  const db = lab.server.store.db;
  const count = async (table: 'users' | 'lab_groups' | 'group_members' | 'fields' | 'document_versions' | 'media' | 'export_jobs') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const records = await db
    .selectFrom('records')
    .select((eb) => ['kind', eb.fn.countAll().as('n'), eb.fn.count('deleted_at').as('deleted')])
    .groupBy('kind')
    .execute();
  const counts: Record<string, number> = {};
  for (const r of records) {
    counts[`records ${r.kind}`] = Number(r.n);
    counts[`records ${r.kind} deleted`] = Number(r.deleted);
  }
  for (const table of ['users', 'lab_groups', 'group_members', 'fields', 'document_versions', 'media', 'export_jobs'] as const) {
    counts[table] = await count(table);
  }
  counts.blobs = (await lab.stored()).blobs.length;
  return counts;
}
