import { sql } from 'kysely';
import { compiledOnce, type Db } from '../db.js';

/**
 * Fixed rate-limit windows in the database (PostgreSQL), so that every API process counts a
 * caller's requests into the same window. Windows open and close by the database's clock, now(),
 * never a process's: processes on machines whose clocks differ still agree on them.
 */

/** A caller's window just after one request more was counted in it. */
export interface WindowCount {
  /** Requests in the window, this one included. */
  count: number;
  /** Until the window closes, by the database's clock. */
  closesInMs: number;
}

const windowLength = (windowMs: number) => sql`${windowMs}::integer * interval '1 millisecond'`;
/** True while the stored window (the row before this statement's update) is still open. */
const stillOpen = (windowMs: number) => sql<boolean>`rate_limits.window_start + ${windowLength(windowMs)} > now()`;

// One statement per request, compiled once (every request makes it): a first request inserts the
// window, a later one counts into it, or opens a new one if it is over; the row lock the upsert
// takes orders requests from all processes. SET sees the row as it was, RETURNING as it is now.
const upsertWindow = compiledOnce((db: Db, caller: string, windowMs: number) =>
  db
    .insertInto('rate_limits')
    .values({ caller, window_start: sql<Date>`now()`, count: 1, window_ms: windowMs })
    .onConflict((oc) =>
      oc.column('caller').doUpdateSet({
        window_start: sql<Date>`case when ${stillOpen(windowMs)} then rate_limits.window_start else now() end`,
        count: sql<number>`case when ${stillOpen(windowMs)} then rate_limits.count + 1 else 1 end`,
      }),
    )
    .returning([
      'count',
      sql<number>`(extract(epoch from window_start + ${windowLength(windowMs)} - now()) * 1000)::float8`.as('closes_in_ms'),
    ]),
);

/** Counts one request by `caller` in its current window of `windowMs`, opening a new one if need be. */
export async function countRequest(db: Db, caller: string, windowMs: number): Promise<WindowCount> {
  const [row] = await upsertWindow(db, caller, windowMs);
  return { count: row!.count, closesInMs: row!.closes_in_ms };
}

/**
 * Removes windows that are over (a caller's next request opens a new one anyway), each by its own
 * length: the sign-in limit's windows are longer than the request limit's; how many went.
 */
export async function deleteEndedWindows(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('rate_limits')
    .where(sql<boolean>`window_start + window_ms * interval '1 millisecond' <= now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
