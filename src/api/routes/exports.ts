import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { gone, httpFailure, illegalArgument, invalidField, notFound, typeMismatch } from '../../domain/errors.js';
import { archiveNamePattern } from '../../domain/archiveNames.js';
import { contentRange, parseByteRange } from '../../domain/byteRange.js';
import { exportFormats, exportScopes, type ExportFormat, type ExportScope } from '../../domain/exportModel.js';
import { archiveState, type ExportRequest } from '../../domain/exportJob.js';
import { isSysadmin, type Viewer } from '../../domain/permissions.js';
import { authoriseExport } from '../../export/authorise.js';
import { retryAfterSeconds } from '../../jobs/exportService.js';
import { findExportJobByArchive } from '../../store/queries/exportJobs.js';
import { userOf, viewerOf } from '../auth.js';
import { baseUrl } from '../links.js';
import { errors } from '../schemas.js';
import { Binary } from './files.js';
import { JobJson, jobJson } from './jobs.js';

const maxSelections = 2000;

const ExportQuery = Type.Object({
  selections: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'comma-separated ids, or the parameter repeated' })),
  includeRevisionHistory: Type.Optional(Type.String({ description: 'true or false, in any case' })),
  maxLinkLevel: Type.Optional(Type.String({ description: 'how far to follow links between documents; default 1' })),
  modifiedSince: Type.Optional(Type.String({ description: 'extension: ISO-8601; only records modified at or after it' })),
});
type ExportQueryType = Static<typeof ExportQuery>;

function oneOf<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidField(field, value, `${field} must be one of ${allowed.join(', ')}; got "${value}"`);
  }
  return value as T;
}

function booleanParam(field: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw invalidField(field, value, `${field} must be true or false; got "${value}"`);
}

function selectionIds(raw: string | string[] | undefined): number[] {
  const words = (Array.isArray(raw) ? raw : [raw ?? '']).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (words.length === 0) throw illegalArgument('A selection export needs 1 to 2000 ids in selections');
  if (words.length > maxSelections) throw illegalArgument(`A selection export takes at most ${maxSelections} ids; got ${words.length}`);
  const ids = words.map((w) => {
    // Global ids (SD12, FL3) are accepted too: the number is the id.
    const match = /^(?:[A-Z]{2})?(\d+)$/.exec(w);
    if (!match) throw typeMismatch('selections', w, 'a list of record ids');
    return Number(match[1]);
  });
  return [...new Set(ids)];
}

/**
 * Parses the request and asks authoriseExport whether it may go ahead, before it is queued; the
 * heavy planning, which asks again, is the worker's.
 */
async function exportRequest(
  request: FastifyRequest,
  viewer: Viewer,
  params: { format: string; scope: string; id?: string },
  query: ExportQueryType,
): Promise<ExportRequest> {
  const app = request.server;
  const format = oneOf<ExportFormat>('format', params.format, exportFormats);
  const scope = oneOf<ExportScope>('scope', params.scope, exportScopes);
  let targetId: number | null = null;
  if (params.id !== undefined) {
    if (!/^\d+$/.test(params.id)) throw typeMismatch('id', params.id, 'a whole number');
    targetId = Number(params.id);
  }
  const includeRevisionHistory = booleanParam('includeRevisionHistory', query.includeRevisionHistory);
  let maxLinkLevel = 1;
  if (query.maxLinkLevel !== undefined && query.maxLinkLevel !== '') {
    if (!/^\d+$/.test(query.maxLinkLevel)) throw invalidField('maxLinkLevel', query.maxLinkLevel, 'maxLinkLevel must be a whole number from 0 to 100');
    maxLinkLevel = Number(query.maxLinkLevel);
    if (maxLinkLevel > 100) throw invalidField('maxLinkLevel', query.maxLinkLevel, 'maxLinkLevel must be a whole number from 0 to 100');
  }
  let modifiedSince: string | null = null;
  if (query.modifiedSince) {
    const at = new Date(query.modifiedSince);
    if (!/^\d{4}-\d\d-\d\d/.test(query.modifiedSince) || Number.isNaN(at.getTime())) {
      throw invalidField('modifiedSince', query.modifiedSince, 'modifiedSince must be an ISO-8601 date or date-time');
    }
    modifiedSince = at.toISOString();
  }

  let selections: number[] = [];
  if (scope === 'selection') {
    if (targetId !== null) throw invalidField('id', targetId, 'A selection export takes its ids in selections, not in the path');
    selections = selectionIds(query.selections);
  }
  await authoriseExport(app.store.db, viewer, { scope, targetId, selections });
  return { format, scope, targetId, selections, includeRevisionHistory, maxLinkLevel, modifiedSince, sourceUrl: baseUrl(request) };
}

export const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Both path forms are validated alike (RSpace skips validation on the /{id} form).
  const formAndScope = { format: Type.String(), scope: Type.String() };
  for (const [path, operationId, params] of [
    ['/export/:format/:scope', 'createExportJob', Type.Object(formAndScope)],
    ['/export/:format/:scope/:id', 'createExportJobOf', Type.Object({ ...formAndScope, id: Type.String() })],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          operationId,
          summary: 'Start an export job (RSpace API v1); answers 202 with the job',
          params,
          querystring: ExportQuery,
          response: { 202: JobJson, ...errors(400, 401, 404, 422, 429, 500) },
        },
      },
      async (request, reply) => {
        const viewer = await viewerOf(request);
        const job = await app.exports.submit(viewer, await exportRequest(request, viewer, request.params, request.query), request.id);
        const body = jobJson(request, job);
        return reply.code(202).header('Location', body._links[0]!.link).header('Retry-After', retryAfterSeconds(job.status)).send(body);
      },
    );
  }

  const elnMediaType = 'application/vnd.eln+zip';

  const download = async (request: FastifyRequest, asked: string) => {
    const user = userOf(request);
    const name = asked.includes('.') ? asked : `${asked}.zip`;
    if (!archiveNamePattern.test(name)) throw illegalArgument(`Not an archive name: ${asked}`);
    const job = await findExportJobByArchive(app.store.db, name);
    // Someone else's archive answers exactly like one that never existed.
    if (!job?.archive || !(job.ownerId === user.id || isSysadmin(user))) throw notFound('archive', name);
    // A file gone without its job knowing (removed by hand, or by a sweep not yet recorded) is gone too.
    const size = archiveState(job, new Date().toISOString()) === 'downloadable' ? await app.archives.size(name) : null;
    if (size === null) throw gone('This export has expired and was deleted; start a new export');
    const etag = `"${job.archive.sha256}"`;
    const ifRange = request.headers['if-range'];
    const range = ifRange && ifRange !== etag ? null : parseByteRange(request.headers.range, size);
    return { name, size, etag, range, expiry: Date.parse(job.archive.expiryDate) };
  };

  const send = async (request: FastifyRequest, reply: FastifyReply, asked: string, head: boolean) => {
    const { name, size, etag, range, expiry } = await download(request, asked);
    if (range === 'unsatisfiable') {
      reply.header('Content-Range', contentRange(range, size));
      throw httpFailure(416, `The range ${request.headers.range} is outside the archive's ${size} bytes`);
    }
    const accept = request.headers.accept ?? '';
    const headers = {
      // The consortium's registered type for .eln; RSpace sends a zip as octet-stream unless asked.
      contentType: name.endsWith('.eln') ? elnMediaType : /application\/zip/.test(accept) ? 'application/zip' : 'application/octet-stream',
      contentDisposition: `attachment; filename="${name}"`,
    };
    // HEAD stays ours: it moves no bytes, and its ETag and size are the contract's (S3's ETag is
    // not our sha256). A GET, ranged or not, may go to the bucket once every check above has passed:
    // the client sends its Range (and If-Range) again to the URL, S3 honours Range there, and an
    // archive never changes under its name, so whatever S3 makes of an If-Range the bytes are right.
    const url = head ? null : await app.archives.directUrl?.(name, headers, expiry);
    if (url) return reply.code(302).header('Location', url).header('Cache-Control', 'private, no-store').send();
    // Opened before any header is set: an archive removed since the checks above is 410, not a broken 200.
    const body = head ? null : await app.archives.open(name, range ?? undefined).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? gone('This export has expired and was deleted; start a new export') : error;
    });
    reply
      .type(headers.contentType)
      .header('Content-Disposition', headers.contentDisposition)
      .header('ETag', etag)
      .header('Accept-Ranges', 'bytes')
      .header('Cache-Control', 'private, no-transform');
    if (range) {
      reply.code(206).header('Content-Range', contentRange(range, size)).header('Content-Length', range.end - range.start + 1);
    } else {
      reply.header('Content-Length', size);
    }
    return body ? reply.send(body) : reply.send();
  };

  const params = Type.Object({ name: Type.String() });
  const downloadErrors = errors(400, 401, 404, 410, 416, 422, 429, 500);
  app.get(
    '/export/:name',
    {
      schema: {
        operationId: 'downloadExport',
        summary: 'Download a finished export (owner or sysadmin); single Range requests resume a download',
        params,
        response: {
          200: Binary,
          206: Binary,
          302: Type.Null({ description: 'With ELNPORT_S3_REDIRECT: Location is a presigned URL of the archive, valid for minutes' }),
          ...downloadErrors,
        },
      },
      exposeHeadRoute: false,
    },
    (request, reply) => send(request, reply, request.params.name, false),
  );
  app.head(
    '/export/:name',
    {
      schema: {
        operationId: 'headExport',
        summary: "A finished export's headers (size, ETag, Accept-Ranges) without its bytes; a single Range is answered with 206",
        params,
        response: {
          200: Type.Null({ description: 'The headers of the whole archive' }),
          206: Type.Null({ description: 'The headers of the range asked for' }),
          ...downloadErrors,
        },
      },
      // @fastify/swagger leaves HEAD routes out of the document unless told.
      config: { swagger: { exposeHeadRoute: true } },
    },
    (request, reply) => send(request, reply, request.params.name, true),
  );
};
