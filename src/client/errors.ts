export type ClientErrorKind = 'auth' | 'permission' | 'usage' | 'not-found' | 'network' | 'verification' | 'server' | 'timeout';

/**
 * Every failure the client reports. `status` is the HTTP status when the server answered, and
 * `body` its error body (RSpace's {status, httpCode, internalCode, message, errors, …}) when it
 * sent one, so a caller can show the server's own words.
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly kind: ClientErrorKind;
  readonly status: number | null;
  readonly body: unknown;

  constructor(kind: ClientErrorKind, message: string, details: { status?: number | null; body?: unknown; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status ?? null;
    this.body = details.body ?? null;
  }
}

/**
 * RSpace answers 401 both for a bad key and for a refused export, so both are 'auth'. A 429 (an
 * export already running, or a rate limit) is the server's condition, not the caller's mistake.
 */
export function kindOfStatus(status: number): ClientErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 429 || status >= 500) return 'server';
  return 'usage';
}

/** Whether asking again later may succeed: the network, a restarting server, a rate limit. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof ClientError)) return false;
  return error.kind === 'network' || error.status === 429 || error.status === 502 || error.status === 503 || error.status === 504;
}

function errorMessage(body: unknown): string | null {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string' && body.message) return body.message;
  return null;
}

/** The ClientError for a response that is not 2xx, carrying the server's error body. */
export async function errorFromResponse(response: Response): Promise<ClientError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text || null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's HTML page, say): the text is the body.
  }
  const message = errorMessage(body) ?? `${response.status} ${response.statusText || 'error'} from ${response.url}`;
  return new ClientError(kindOfStatus(response.status), message, { status: response.status, body });
}

/** What fetch throws for a refused or broken connection, in words (undici hides them in `cause`). */
export function networkError(error: unknown, what: string): ClientError {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const detail = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new ClientError('network', `${what}: ${detail}`, { cause: error });
}
