import type { Db } from '../db.js';
import type { NoticeDeliveryRow, NotificationSettingsRow } from '../schema.js';
import type { DeliveryStatus, NoticeChannel, NoticeChoice, NoticeDelivery, NoticeEvent, NotificationSettings } from '../../domain/notice.js';
import { noticeEvents } from '../../domain/notice.js';
import type { Instant } from './jobLifecycle.js';

/**
 * Notices of ended jobs: each user's settings, the making of one delivery per ended job and
 * channel (once, whichever worker gets there first), and each delivery's attempts, claimed by a
 * compare-and-set as jobs are, so that any number of workers send each attempt once.
 */

function rowToSettings(row: NotificationSettingsRow): NotificationSettings {
  return { userId: row.user_id, webhookUrl: row.webhook_url, emailEnabled: row.email_enabled === 1, webhookSecret: row.webhook_secret };
}

function rowToDelivery(row: NoticeDeliveryRow): NoticeDelivery {
  return {
    id: row.id,
    jobId: row.job_id,
    ownerId: row.owner_id,
    channel: row.channel as NoticeChannel,
    target: row.target,
    event: row.event as NoticeEvent,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    created: row.created,
    giveUpAt: row.give_up_at,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    responseStatus: row.response_status,
    error: row.error,
  };
}

/** The user's settings, made (with `secret`, nothing chosen) if they have none yet. */
export async function ensureSettings(db: Db, userId: number, secret: string, now: string): Promise<NotificationSettings> {
  // Two first reads at once both insert: one row is made, and both read it.
  await db
    .insertInto('notification_settings')
    .values({ user_id: userId, webhook_secret: secret, modified: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  const row = await db.selectFrom('notification_settings').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
  return rowToSettings(row);
}

/** Changes what is given (a key left out keeps its value); the row exists (ensureSettings). */
export async function updateSettings(
  db: Db,
  userId: number,
  change: { webhookUrl?: string | null; emailEnabled?: boolean; webhookSecret?: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('notification_settings')
    .set({
      modified: now,
      ...(change.webhookUrl !== undefined ? { webhook_url: change.webhookUrl } : {}),
      ...(change.emailEnabled !== undefined ? { email_enabled: change.emailEnabled ? 1 : 0 } : {}),
      ...(change.webhookSecret !== undefined ? { webhook_secret: change.webhookSecret } : {}),
    })
    .where('user_id', '=', userId)
    .execute();
}

export async function webhookSecretOf(db: Db, userId: number): Promise<string | undefined> {
  const row = await db.selectFrom('notification_settings').select('webhook_secret').where('user_id', '=', userId).executeTakeFirst();
  return row?.webhook_secret;
}

/** Jobs that have ended and whose notices are not made yet, oldest first. */
export async function unnoticedJobs(db: Db, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('export_jobs')
    .select('id')
    .where('noticed', '=', 0)
    .where('status', 'in', noticeEvents)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Takes the making of job `id`'s notices, in the transaction `db` that makes them: what its owner
 * chose, or undefined when the job is not ended and unnoticed (another worker took it first).
 */
export async function takeJobToNotice(db: Db, id: number): Promise<{ ownerId: number; event: NoticeEvent; choice: NoticeChoice | undefined } | undefined> {
  const taken = await db
    .updateTable('export_jobs')
    .set({ noticed: 1 })
    .where('id', '=', id)
    .where('noticed', '=', 0)
    .where('status', 'in', noticeEvents)
    .returning(['owner_id', 'status'])
    .executeTakeFirst();
  if (!taken) return undefined;
  const row = await db
    .selectFrom('users')
    .leftJoin('notification_settings', 'notification_settings.user_id', 'users.id')
    .select(['users.email', 'notification_settings.webhook_url', 'notification_settings.email_enabled', 'notification_settings.user_id'])
    .where('users.id', '=', taken.owner_id)
    .executeTakeFirst();
  const choice = row?.user_id != null ? { webhookUrl: row.webhook_url, emailEnabled: row.email_enabled === 1, email: row.email } : undefined;
  return { ownerId: taken.owner_id, event: taken.status as NoticeEvent, choice };
}

export async function insertDeliveries(
  db: Db,
  jobId: number,
  ownerId: number,
  event: NoticeEvent,
  notices: { channel: NoticeChannel; target: string }[],
  times: { now: Instant; giveUpAt: Instant },
): Promise<void> {
  if (notices.length === 0) return;
  await db
    .insertInto('notice_deliveries')
    .values(
      notices.map(({ channel, target }) => ({
        job_id: jobId,
        owner_id: ownerId,
        channel,
        target,
        event,
        status: 'PENDING',
        created: times.now,
        next_attempt_at: times.now,
        give_up_at: times.giveUpAt,
      })),
    )
    .execute();
}

/** Deliveries due an attempt at `now` that no live worker holds, soonest first. */
export async function dueDeliveries(db: Db, now: Instant, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('notice_deliveries')
    .select('id')
    .where('status', 'in', ['PENDING', 'RETRYING'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Delivery `id`, now this worker's to attempt until `leaseUntil`, its lastAttemptAt the moment of
 * the claim (`now`); undefined when another worker claimed it first or it is no longer due.
 */
export async function claimDelivery(db: Db, id: number, workerId: string, now: Instant, leaseUntil: Instant): Promise<NoticeDelivery | undefined> {
  const row = await db
    .updateTable('notice_deliveries')
    .set({ claimed_by: workerId, claimed_until: leaseUntil, last_attempt_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['PENDING', 'RETRYING'])
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .returningAll()
    .executeTakeFirst();
  return row && rowToDelivery(row);
}

/** How this worker's attempt went; nothing is written if its lease was lost to another worker meanwhile. */
export async function recordAttempt(
  db: Db,
  id: number,
  workerId: string,
  outcome: { status: DeliveryStatus; nextAttemptAt: string | null; responseStatus: number | null; error: string | null },
): Promise<void> {
  await db
    .updateTable('notice_deliveries')
    .set((eb) => ({
      status: outcome.status,
      attempts: eb('attempts', '+', 1),
      next_attempt_at: outcome.nextAttemptAt,
      response_status: outcome.responseStatus,
      error: outcome.error,
      claimed_by: null,
      claimed_until: null,
    }))
    .where('id', '=', id)
    .where('claimed_by', '=', workerId)
    .execute();
}

export async function countDeliveries(db: Db, ownerId: number): Promise<number> {
  const row = await db.selectFrom('notice_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', ownerId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The owner's deliveries, newest first. */
export async function deliveriesPage(db: Db, ownerId: number, offset: number, limit: number): Promise<NoticeDelivery[]> {
  const rows = await db.selectFrom('notice_deliveries').selectAll().where('owner_id', '=', ownerId).orderBy('id', 'desc').offset(offset).limit(limit).execute();
  return rows.map(rowToDelivery);
}
