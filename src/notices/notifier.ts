import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Job } from '../domain/exportJob.js';
import { jobView } from '../domain/jobView.js';
import type { NoticeDelivery } from '../domain/notice.js';
import { noticesFor } from '../domain/notice.js';
import { noticeMail } from '../domain/noticeMessage.js';
import { afterFailure, noticeTimings } from '../domain/noticeRetry.js';
import { webhookSignature } from '../domain/webhookTarget.js';
import type { JobParts } from '../jobs/parts.js';
import { databaseClock } from '../store/dialect.js';
import { findJob } from '../store/queries/exportJobs.js';
import { claimDelivery, dueDeliveries, insertDeliveries, recordAttempt, takeJobToNotice, unnoticedJobs, webhookSecretOf } from '../store/queries/notices.js';
import type { Attempt } from './attempt.js';
import { Mailer } from './email.js';
import { postWebhook } from './webhook.js';

/** Jobs taken per query when making notices: a backlog is worked through a batch at a time. */
const batch = 50;
/** Attempts under way at once in one process: a slow receiver holds one, not the rest. */
const maxInFlight = 8;

/**
 * The absolute address a notice's links start at: the configured public URL; else, for an
 * export, the address its requester used (as the archive's own links do); else the address the
 * API is configured to listen on, which only a client on the same network can reach.
 */
export function noticeApiBase(config: Config, job: Job): string {
  const base = config.publicUrl ?? (job.kind === 'export' ? job.request.sourceUrl : `http://${config.host}:${config.port}`);
  return `${base}/api/v1`;
}

/**
 * Tells owners their jobs ended (issue 12, item 6), in every process that runs jobs. Each pass
 * makes the deliveries of jobs that ended and are not yet noticed (each job taken by a
 * compare-and-set, so once across all workers, and after a crash by whichever looks next), then
 * claims the deliveries that are due and attempts them. A pass runs every noticeTimings.pollMs,
 * at once when a job ends in this process (nudge), and when a retry it scheduled is due.
 */
export class Notifier {
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly mailer: Mailer | null;
  /** Whose claim a delivery is: this notifier's, unlike any other process's or its own after a restart. */
  private readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(private readonly parts: Pick<JobParts, 'db' | 'dialect' | 'config' | 'log'>) {
    const { smtpUrl, mailFrom } = parts.config.notices;
    this.mailer = smtpUrl && mailFrom ? new Mailer(smtpUrl, mailFrom) : null;
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), noticeTimings.pollMs);
    this.timer.unref();
    this.nudge();
  }

  /** A pass now; if one is under way, another right after it, so a job that just ended is not missed. */
  nudge(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass()
      .catch((error: unknown) => this.parts.log.error({ err: error }, 'notice pass failed'))
      .finally(() => {
        this.passing = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Waits for the pass and the attempts under way: the server closes the database next. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.passing;
    await Promise.all(this.inFlight);
    this.mailer?.close();
  }

  private async pass(): Promise<void> {
    await this.makeNotices();
    await this.sendDue();
  }

  private async makeNotices(): Promise<void> {
    const { db, dialect, config } = this.parts;
    for (;;) {
      const ids = await unnoticedJobs(db, batch);
      for (const id of ids) {
        // Taking the job and making its deliveries commit together: a crash between them leaves it to make again.
        await db.transaction().execute(async (trx) => {
          const taken = await takeJobToNotice(trx, id);
          if (!taken) return;
          const notices = noticesFor(taken.choice, taken.event, this.mailer !== null);
          const times = { now: databaseClock(dialect), giveUpAt: databaseClock(dialect, config.notices.retryForMs) };
          await insertDeliveries(trx, id, taken.ownerId, taken.event, notices, times);
        });
      }
      if (ids.length < batch || this.stopped) return;
    }
  }

  private async sendDue(): Promise<void> {
    const { db, dialect } = this.parts;
    const room = maxInFlight - this.inFlight.size;
    if (room <= 0 || this.stopped) return;
    for (const id of await dueDeliveries(db, databaseClock(dialect), room)) {
      const delivery = await claimDelivery(db, id, this.workerId, databaseClock(dialect), databaseClock(dialect, noticeTimings.leaseMs));
      if (!delivery) continue;
      const attempt: Promise<void> = this.attempt(delivery).finally(() => this.inFlight.delete(attempt));
      this.inFlight.add(attempt);
    }
  }

  private async attempt(delivery: NoticeDelivery): Promise<void> {
    const { db, log } = this.parts;
    let outcome: Attempt;
    try {
      outcome = await this.send(delivery);
    } catch (error) {
      log.error({ err: error, deliveryId: delivery.id }, 'notice attempt broke');
      outcome = { delivered: false, responseStatus: null, error: 'an internal error; it has been logged' };
    }
    const attempts = delivery.attempts + 1;
    // lastAttemptAt is the claim's moment, by the database's clock, as giveUpAt is.
    const next = outcome.delivered
      ? { status: 'DELIVERED' as const, nextAttemptAt: null }
      : outcome.final
        ? { status: 'FAILED' as const, nextAttemptAt: null }
        : afterFailure(attempts, delivery.lastAttemptAt!, delivery.giveUpAt);
    try {
      await recordAttempt(db, delivery.id, this.workerId, { ...next, responseStatus: outcome.responseStatus, error: outcome.error });
    } catch (error) {
      // Its lease runs out and the attempt is made again: a receiver may see a delivery id twice.
      log.error({ err: error, deliveryId: delivery.id }, 'could not record a notice attempt');
      return;
    }
    // Its next attempt is made on time, not up to a poll later (a stopped notifier ignores the nudge).
    if (next.status === 'RETRYING') setTimeout(() => this.nudge(), Date.parse(next.nextAttemptAt) - Date.parse(delivery.lastAttemptAt!)).unref();
    // Neither the target (its URL may carry a token) nor anything signed is logged.
    log.info({ deliveryId: delivery.id, jobId: delivery.jobId, channel: delivery.channel, attempt: attempts, status: next.status, responseStatus: outcome.responseStatus }, 'notice attempted');
  }

  private async send(delivery: NoticeDelivery): Promise<Attempt> {
    const { db, config } = this.parts;
    const job = await findJob(db, delivery.jobId);
    if (!job) return { delivered: false, responseStatus: null, error: 'the job no longer exists' };
    const view = jobView(job, noticeApiBase(config, job));
    if (delivery.channel === 'email') {
      if (!this.mailer) return { delivered: false, responseStatus: null, error: 'e-mail notices are off on this server (it has no ELNPORT_SMTP_URL)' };
      return this.mailer.send(delivery.target, noticeMail(job, view));
    }
    const secret = await webhookSecretOf(db, delivery.ownerId);
    if (!secret) return { delivered: false, responseStatus: null, error: 'the owner has no webhook secret' };
    const body = JSON.stringify(view);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'X-Elnport-Timestamp': String(timestamp),
      'X-Elnport-Signature': webhookSignature(secret, timestamp, body),
      'X-Elnport-Delivery': String(delivery.id),
      'X-Elnport-Event': delivery.event,
    };
    return postWebhook(delivery.target, body, headers, config.notices.allowPrivate);
  }
}
