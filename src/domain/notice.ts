import type { JobStatus } from './exportJob.js';

/** How a job's owner is told it ended (issue 12, item 6). */
export type NoticeChannel = 'webhook' | 'email';
/** The statuses a job ends in: each is a notice's event. */
export type NoticeEvent = Extract<JobStatus, 'COMPLETED' | 'FAILED' | 'ABANDONED'>;
export const noticeEvents: readonly NoticeEvent[] = ['COMPLETED', 'FAILED', 'ABANDONED'];
export type DeliveryStatus = 'PENDING' | 'RETRYING' | 'DELIVERED' | 'FAILED';

export interface NotificationSettings {
  userId: number;
  webhookUrl: string | null;
  /** As the user chose; e-mail is sent only if the server has an SMTP server too. */
  emailEnabled: boolean;
  webhookSecret: string;
}

export interface NoticeDelivery {
  id: number;
  jobId: number;
  ownerId: number;
  channel: NoticeChannel;
  target: string;
  event: NoticeEvent;
  status: DeliveryStatus;
  attempts: number;
  created: string;
  giveUpAt: string;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  responseStatus: number | null;
  error: string | null;
}

/** What a job's owner chose, read when its notices are made. */
export interface NoticeChoice {
  webhookUrl: string | null;
  emailEnabled: boolean;
  email: string;
}

/**
 * The notices a job that ended as `event` gets, each channel with its target. A job its owner
 * cancelled (ABANDONED: cancelling is the one way a job is abandoned) is told to the webhook, as a
 * script waiting on the job must learn it is over, but not by e-mail to the person who just
 * cancelled it. E-mail needs the server's SMTP server (`mailOn`) as well as the user's choice.
 */
export function noticesFor(choice: NoticeChoice | undefined, event: NoticeEvent, mailOn: boolean): { channel: NoticeChannel; target: string }[] {
  if (!choice) return [];
  const notices: { channel: NoticeChannel; target: string }[] = [];
  if (choice.webhookUrl) notices.push({ channel: 'webhook', target: choice.webhookUrl });
  if (choice.emailEnabled && mailOn && event !== 'ABANDONED') notices.push({ channel: 'email', target: choice.email });
  return notices;
}
