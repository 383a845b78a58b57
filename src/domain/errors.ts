/**
 * The one catalogue of errors elnport reports. Each has the HTTP status and the RSpace-style
 * internal code (HTTP code × 100 + suffix) that CONTRACT.md lists; the API's error handler turns
 * any of them into the contract's error body, so code elsewhere only ever throws these.
 */

export interface ValidationError {
  field: string;
  rejectedValue: unknown;
  objectName: string;
  message: string;
}

const statusNames: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'REQUESTED_RANGE_NOT_SATISFIABLE',
  417: 'EXPECTATION_FAILED',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  500: 'INTERNAL_SERVER_ERROR',
  503: 'SERVICE_UNAVAILABLE',
};

export class ElnportError extends Error {
  readonly httpCode: number;
  readonly internalCode: number;
  readonly errors: string[];
  readonly data: Record<string, unknown> | null;
  /** When to try again, for a refusal that will pass by itself: sent as the Retry-After header. */
  readonly retryAfterSeconds: number | null;

  constructor(
    httpCode: number,
    internalCode: number,
    message: string,
    options: { errors?: string[]; data?: Record<string, unknown>; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ElnportError';
    this.httpCode = httpCode;
    this.internalCode = internalCode;
    this.errors = options.errors ?? [message];
    this.data = options.data ?? null;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }

  get status(): string {
    return statusNames[this.httpCode] ?? 'INTERNAL_SERVER_ERROR';
  }
}

/** The contract's error body (api/schemas.ts ErrorBody describes it to clients). */
export interface ErrorJson {
  status: string;
  httpCode: number;
  internalCode: number;
  message: string;
  messageCode: null;
  errors: string[];
  iso8601Timestamp: string;
  data: Record<string, unknown> | null;
}

export function errorBody(error: ElnportError): ErrorJson {
  return {
    status: error.status,
    httpCode: error.httpCode,
    internalCode: error.internalCode,
    message: error.message,
    messageCode: null,
    errors: error.errors,
    iso8601Timestamp: new Date().toISOString(),
    data: error.data,
  };
}

export function invalidField(field: string, rejectedValue: unknown, message: string, objectName = 'request'): ElnportError {
  const validationErrors: ValidationError[] = [{ field, rejectedValue, objectName, message }];
  return new ElnportError(400, 40002, message, { data: { validationErrors } });
}

export function invalidFields(validationErrors: ValidationError[]): ElnportError {
  const errors = validationErrors.map((e) => e.message);
  return new ElnportError(400, 40002, errors.join('; '), { errors, data: { validationErrors } });
}

export function typeMismatch(field: string, rejectedValue: unknown, expected: string): ElnportError {
  const message = `${field} must be ${expected}, got "${String(rejectedValue)}"`;
  return new ElnportError(400, 40003, message, {
    data: { validationErrors: [{ field, rejectedValue, objectName: 'request', message }] },
  });
}

/** Field content over a size or nesting limit (see contentLimits.ts); the content is not echoed back. */
export function contentOverLimit(field: string, message: string): ElnportError {
  return new ElnportError(400, 40003, message, {
    data: { validationErrors: [{ field, rejectedValue: null, objectName: 'request', message }] },
  });
}

export function missingParameter(name: string): ElnportError {
  return new ElnportError(400, 40005, `Required parameter '${name}' is missing`);
}

export function unreadableBody(detail: string, cause?: unknown): ElnportError {
  return new ElnportError(400, 40009, `The request body could not be read: ${detail}`, { cause });
}

export function unauthenticated(message = 'Missing or unknown API key: send it in the apiKey header'): ElnportError {
  return new ElnportError(401, 40101, message);
}

export function unauthorized(message: string): ElnportError {
  return new ElnportError(401, 40101, message);
}

/**
 * A request a signed-in page's cookie came with, but not the page's CSRF token (sessions.ts):
 * it may come from another site's page, so it is refused, whoever the cookie names. 40301 is an
 * extension: RSpace has no sessions.
 */
export function csrfRefused(message: string): ElnportError {
  return new ElnportError(403, 40301, message);
}

export function notFound(what: string, id: number | string): ElnportError {
  return new ElnportError(404, 40402, `No ${what} with id ${id}`);
}

/** GET /session asked with an API key: there is a caller, but no session to describe. */
export function noSession(): ElnportError {
  return new ElnportError(404, 40402, 'No session: this request came with an API key, not a session cookie');
}

export function routeNotFound(method: string, url: string): ElnportError {
  return new ElnportError(404, 40402, `No such endpoint: ${method} ${url}`);
}

export function gone(message: string): ElnportError {
  return new ElnportError(410, 41001, message);
}

export function payloadTooLarge(message: string): ElnportError {
  return new ElnportError(413, 41301, message);
}

export function illegalArgument(message: string): ElnportError {
  return new ElnportError(422, 42201, message);
}

/**
 * An archive given to import that cannot be read, or not safely (a name leaving its folder, a
 * symlink, a bomb, metadata that is not what its format requires): nothing of it is written.
 */
export function archiveRefused(message: string): ElnportError {
  return new ElnportError(422, 42201, message);
}

/** Every 429 says when to come back (RFC 6585 §4), whatever refused it. */
export function tooManyRequests(message: string, retryAfterSeconds: number): ElnportError {
  return new ElnportError(429, 42901, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
}

export function internalError(cause?: unknown): ElnportError {
  return new ElnportError(500, 50001, 'An internal error occurred; it has been logged', { cause });
}

/** Why an export job FAILED, in words the user can act on; becomes the job's result. */
export function exportFailed(message: string, cause?: unknown): ElnportError {
  return new ElnportError(500, 50001, message, { cause });
}

export function invalidConfig(message: string): ElnportError {
  return new ElnportError(500, 50001, `Invalid configuration: ${message}`);
}

/** Any other HTTP failure (405, 406, 415, 416…) the framework reports, in the same shape. */
export function httpFailure(httpCode: number, message: string): ElnportError {
  return new ElnportError(httpCode, httpCode * 100 + 1, message);
}
