import { sql } from 'kysely';
import type { Db } from '../db.js';

/**
 * Waiting jobs that no waiting pg-boss entry (created or retry) names: a process that died between
 * queueing a job again and sending its entry leaves one. An active entry does not count: a waiting
 * job's active entry is a dead worker's, which pg-boss hands out again only when it expires, hours
 * later (or one fetched this instant, whose second entry then finds nothing to claim). It reads
 * pg-boss's own job table, whose `state` enum orders created < retry < active < completed < ….
 */
export async function waitingJobsWithoutEntry(db: Db, queueSchema: string, queue: string): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    select e.id from export_jobs e
    where e.status = 'STARTING'
      and not exists (
        select 1 from ${sql.table(`${queueSchema}.job`)} q
        where q.name = ${queue} and q.state < 'active' and q.data->>'jobId' = e.id::text
      )
    order by e.id`.execute(db);
  return rows.map((r) => r.id);
}
