import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ElnportError,
  errorBody,
  httpFailure,
  internalError,
  invalidField,
  invalidFields,
  missingParameter,
  payloadTooLarge,
  routeNotFound,
  typeMismatch,
  unreadableBody,
} from '../domain/errors.js';
import { redactedUrl, requestIdHeader } from './requestIds.js';


interface AjvIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

function fieldOf(issue: AjvIssue): string {
  const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (issue.keyword === 'required') return [path, String(issue.params.missingProperty)].filter(Boolean).join('.');
  return path || 'body';
}

/** Schema failures in RSpace's terms: a missing parameter, a type mismatch, or an invalid field. */
function fromValidation(issues: AjvIssue[], context: string, request: FastifyRequest): ElnportError {
  const first = issues[0]!;
  const field = fieldOf(first);
  const source = (context === 'body' ? request.body : context === 'params' ? request.params : request.query) as
    | Record<string, unknown>
    | undefined;
  const rejected = field.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), source);
  if (first.keyword === 'required') return missingParameter(field);
  if (first.keyword === 'type' && context !== 'body') return typeMismatch(field, rejected, `of type ${String(first.params.type)}`);
  if (first.keyword === 'additionalProperties') {
    const extra = String(first.params.additionalProperty);
    return invalidFields([{ field: extra, rejectedValue: null, objectName: context, message: `${extra} is not a known field` }]);
  }
  // A closed object's `additionalProperties: Type.Never()` (ajv's removeAdditional would silently
  // drop keys under `false`): the one use of `not` in our schemas.
  if (first.keyword === 'not') {
    return invalidFields([{ field, rejectedValue: null, objectName: context, message: `${field} is not a known field` }]);
  }
  return invalidFields(
    issues.map((issue) => ({
      field: fieldOf(issue),
      rejectedValue: fieldOf(issue) === field ? rejected : null,
      objectName: context,
      message: `${fieldOf(issue)} ${issue.message ?? 'is invalid'}`,
    })),
  );
}

/** Turns whatever was thrown into one of the catalogue's errors. */
export function toElnportError(error: unknown, request: FastifyRequest): ElnportError {
  if (error instanceof ElnportError) return error;
  const e = error as FastifyError & { validationContext?: string; part?: unknown };
  if (e.validation) return fromValidation(e.validation as AjvIssue[], e.validationContext ?? 'body', request);
  switch (e.code) {
    case 'FST_ERR_BAD_URL': {
      // The message is logged: a key in the query string stays out of it.
      const url = redactedUrl(request.url);
      return invalidField('path', url, `The path is not valid percent-encoded UTF-8: ${url}`);
    }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return unreadableBody(e.message, e);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return payloadTooLarge(`The request is too large: ${e.message}`);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return httpFailure(415, 'This endpoint takes multipart/form-data');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpFailure(415, `Unsupported content type: ${request.headers['content-type'] ?? 'none'}`);
  }
  if (e instanceof SyntaxError && e.statusCode === 400) return unreadableBody(e.message, e);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return httpFailure(e.statusCode, e.message);
  return internalError(error);
}

/**
 * Answers whatever failed in the contract's shape: the error handler of every route, and
 * Fastify's `frameworkErrors` for the failures of routing itself (a bad URL, an overlong param).
 */
export function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const failure = toElnportError(error, request);
  if (failure.httpCode >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: failure.internalCode, message: failure.message }, 'request refused');
  if (failure.retryAfterSeconds !== null) reply.header('Retry-After', failure.retryAfterSeconds);
  // Fastify answers its routing failures without running the hooks (requestIds.ts sets it on the rest).
  reply.header(requestIdHeader, request.id);
  return reply.code(failure.httpCode).type('application/json').send(errorBody(failure));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const failure = routeNotFound(request.method, request.url.split('?')[0] ?? '');
    return reply.code(404).type('application/json').send(errorBody(failure));
  });
}
