import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { isTerminal, type Job } from '../../domain/exportJob.js';
import { jobView } from '../../domain/jobView.js';
import { retryAfterSeconds } from '../../jobs/exportService.js';
import { countJobs, jobsPage, findJob } from '../../store/queries/exportJobs.js';
import { userOf } from '../auth.js';
import { apiUrl, page, pageLinks } from '../links.js';
import { ErrorBody, errors, IdParams, Links, PageQuery } from '../schemas.js';

const CompletedResult = Type.Object({
  checksum: Type.String(),
  algorithm: Type.Literal('CRC32'),
  size: Type.Integer(),
  expiryDate: Type.String(),
  sha256: Type.String(),
  archiveName: Type.String(),
  documentsExported: Type.Integer(),
  foldersExported: Type.Integer(),
  filesExported: Type.Integer(),
  recordsSkipped: Type.Integer(),
  archiveDeleted: Type.Boolean({ description: 'The archive was deleted (by its owner, or once expired): its download answers 410' }),
});

/** A completed import's result (extension): what it created, and what it could not carry over. */
const ImportedResult = Type.Object({
  kind: Type.Literal('import'),
  format: Type.Union([Type.Literal('rspace-xml'), Type.Literal('eln')]),
  folderId: Type.Integer({ description: 'The folder the import made, named after the archive, or the one given as folderId' }),
  counts: Type.Object({
    folders: Type.Integer(),
    notebooks: Type.Integer(),
    documents: Type.Integer(),
    revisions: Type.Integer(),
    comments: Type.Integer(),
    files: Type.Integer(),
    filesReused: Type.Integer({ description: 'Files whose bytes the importer already had, shared rather than stored again' }),
  }),
  ids: Type.Record(Type.String(), Type.Integer(), { description: 'Each item of the archive, by its id there, and its id here' }),
  warnings: Type.Array(Type.String(), { description: 'What could not be represented or looked wrong; the import went on' }),
});

export const JobJson = Type.Object({
  id: Type.Integer(),
  status: Type.Union(['STARTING', 'STARTED', 'COMPLETED', 'FAILED', 'ABANDONED'].map((s) => Type.Literal(s))),
  percentComplete: Type.Number(),
  result: Type.Union([Type.Null(), CompletedResult, ImportedResult, ErrorBody]),
  _links: Links,
});

/** RSpace's job shape (domain/jobView.ts), its links at this request's address. */
export function jobJson(request: FastifyRequest, job: Job) {
  return jobView(job, apiUrl(request, ''));
}

export const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** A job is its owner's alone: anyone else's, like an unknown one, is 404. */
  const ownJob = async (request: FastifyRequest, id: number) => {
    const job = await findJob(app.store.db, id);
    if (!job || job.ownerId !== userOf(request).id) throw notFound('job', id);
    return job;
  };

  app.get(
    '/jobs/:id',
    { schema: { operationId: 'getJob', summary: 'The status of an export or import job', params: IdParams, response: { 200: JobJson, ...errors(400, 401, 404, 429, 500) } } },
    async (request, reply) => {
      const job = await ownJob(request, request.params.id);
      if (!isTerminal(job.status)) reply.header('Retry-After', retryAfterSeconds(job.status));
      return jobJson(request, job);
    },
  );

  app.get(
    '/jobs',
    {
      schema: {
        operationId: 'listJobs',
        summary: "The caller's export and import jobs, newest first (extension)",
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ totalHits: Type.Integer(), pageNumber: Type.Integer(), jobs: Type.Array(JobJson), _links: Links }),
          ...errors(400, 401, 429, 500),
        },
      },
    },
    async (request) => {
      const owner = userOf(request).id;
      const p = page(request.query);
      const [totalHits, jobs] = await Promise.all([countJobs(app.store.db, owner), jobsPage(app.store.db, owner, p.offset, p.limit)]);
      return { totalHits, pageNumber: p.pageNumber, jobs: jobs.map((j) => jobJson(request, j)), _links: pageLinks(request, totalHits, p.pageNumber, p.pageSize) };
    },
  );

  app.delete(
    '/jobs/:id',
    {
      schema: {
        operationId: 'deleteJob',
        summary: 'Cancel an unfinished job, or delete a finished archive (extension)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 404, 429, 500) },
      },
    },
    async (request, reply) => {
      await app.exports.cancelOrDelete(await ownJob(request, request.params.id));
      return reply.code(204).send(null);
    },
  );
};
