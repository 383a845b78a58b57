/** How one attempt to send a notice went, whatever the channel. */
export interface Attempt {
  delivered: boolean;
  /** The answer's HTTP status (webhook) or SMTP reply code (e-mail); null when there was none. */
  responseStatus: number | null;
  /** Why it was not delivered, short, for the user to read; null when it was. */
  error: string | null;
  /**
   * Not to be tried again: a target webhooks may not reach stays refused, and a day of retries
   * would only knock at it 150 times.
   */
  final?: true;
}

/** An error as an attempt records it: its message, cut short (a receiver's words may be long). */
export function failure(error: unknown, responseStatus: number | null = null): Attempt {
  const message = error instanceof Error ? error.message : String(error);
  return { delivered: false, responseStatus, error: message.length > 300 ? `${message.slice(0, 300)}…` : message };
}
