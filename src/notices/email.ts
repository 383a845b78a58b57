import nodemailer, { type Transporter } from 'nodemailer';
import type { NoticeMail } from '../domain/noticeMessage.js';
import { noticeTimings } from '../domain/noticeRetry.js';
import { failure, type Attempt } from './attempt.js';

/** E-mail notices through the operator's SMTP server (ELNPORT_SMTP_URL), one connection per message. */
export class Mailer {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    const limit = noticeTimings.attemptTimeoutMs;
    // nodemailer waits 2 minutes to connect and 10 minutes on a silent socket unless told: an
    // attempt must end within its lease (noticeTimings.leaseMs).
    this.transport = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: limit, greetingTimeout: limit, socketTimeout: limit });
  }

  async send(to: string, mail: NoticeMail): Promise<Attempt> {
    try {
      const info = await this.transport.sendMail({ from: this.from, to, subject: mail.subject, text: mail.text, html: mail.html });
      return { delivered: true, responseStatus: smtpCode(info.response), error: null };
    } catch (error) {
      return failure(error, (error as { responseCode?: number }).responseCode ?? null);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The reply code the server accepted the message with: "250 OK: queued" is 250. */
function smtpCode(response: unknown): number | null {
  const code = typeof response === 'string' ? /^\d{3}/.exec(response) : null;
  return code ? Number(code[0]) : null;
}
