import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { contentLimits } from '../../domain/contentLimits.js';
import { globalId } from '../../domain/globalIds.js';
import type { Form, RecordRow, User } from '../../domain/model.js';
import {
  createDocument,
  deleteDocument,
  getDocument,
  listDocuments,
  updateDocument,
  type DocumentView,
} from '../../content/documents.js';
import { viewerOf } from '../auth.js';
import { page, pageLinks, selfLink, sortOrder } from '../links.js';
import { errors, IdParams, Links, OrderBy, PageQuery, paginated, UserSummary } from '../schemas.js';
import { fileJson, userJson } from '../views.js';
import { FileJson } from './files.js';

const FormRef = Type.Object({ id: Type.Integer(), globalId: Type.String(), name: Type.String() });

const summaryProperties = {
  id: Type.Integer(),
  globalId: Type.String(),
  name: Type.String(),
  created: Type.String(),
  lastModified: Type.String(),
  parentFolderId: Type.Union([Type.Integer(), Type.Null()]),
  signed: Type.Boolean(),
  tags: Type.String(),
  form: FormRef,
  owner: UserSummary,
  _links: Links,
};

const DocumentSummary = Type.Object(summaryProperties);

/**
 * Where an imported document came from (extension, only on imported documents, so the contract's
 * Document JSON is unchanged for the rest): its authors there are kept here, never as owners.
 */
const Provenance = Type.Optional(
  Type.Object({
    archive: Type.String({ description: 'The archive it was imported from' }),
    format: Type.String({ description: 'rspace-xml or eln' }),
    sourceId: Type.String({ description: 'Its id in the archive (SD12, a crate @id)' }),
    authors: Type.Array(Type.Object({ name: Type.String(), email: Type.Optional(Type.String()), identifier: Type.Optional(Type.String()) })),
    importJobId: Type.Integer(),
  }),
);

const DocumentJson = Type.Object({
  ...summaryProperties,
  version: Type.Integer(),
  provenance: Provenance,
  fields: Type.Array(
    Type.Object({
      id: Type.Integer(),
      globalId: Type.String(),
      name: Type.String(),
      type: Type.String(),
      content: Type.String(),
      lastModified: Type.String(),
      columnIndex: Type.Integer(),
      files: Type.Array(FileJson),
    }),
  ),
});

// The limits are checked in content/references.ts, so that going over them answers 400/40003 with the field named.
const Content = Type.String({
  description: 'HTML; <fileId=N> attaches gallery file N, <docId=N> links document N. At most '
    + `${contentLimits.fieldBytes} bytes of UTF-8, elements nested at most ${contentLimits.nestingDepth} deep (else 400, internalCode 40003)`,
});

const NewDocumentBody = Type.Object({
  name: Type.Optional(Type.String()),
  tags: Type.Optional(Type.String({ description: 'comma-separated' })),
  parentFolderId: Type.Optional(Type.Integer({ minimum: 1 })),
  form: Type.Optional(Type.Object({ id: Type.Integer({ minimum: 1 }) })),
  fields: Type.Optional(Type.Array(Type.Object({ name: Type.Optional(Type.String()), content: Type.Optional(Content) }))),
});

const DocumentChangesBody = Type.Object({
  name: Type.Optional(Type.String()),
  tags: Type.Optional(Type.String()),
  fields: Type.Optional(Type.Array(Type.Object({ id: Type.Optional(Type.Integer({ minimum: 1 })), content: Type.Optional(Content) }))),
});

function summaryJson(request: FastifyRequest, record: RecordRow, owner: User, form: Form | undefined) {
  return {
    id: record.id,
    globalId: globalId('DOCUMENT', record.id),
    name: record.name,
    created: record.created,
    lastModified: record.modified,
    parentFolderId: record.parentId,
    signed: false,
    tags: record.tags,
    form: { id: form?.id ?? 0, globalId: globalId('FORM', form?.id ?? 0), name: form?.name ?? 'Unknown' },
    owner: userJson(owner),
    _links: [selfLink(request, `/documents/${record.id}`)],
  };
}

function documentJson(request: FastifyRequest, view: DocumentView) {
  return {
    ...summaryJson(request, view.record, view.owner, view.form),
    version: view.record.version,
    ...(view.record.provenance ? { provenance: view.record.provenance } : {}),
    fields: view.fields.map((f) => ({
      id: f.id,
      globalId: globalId('FIELD', f.id),
      name: f.name,
      type: f.type,
      content: f.content,
      lastModified: f.modified,
      columnIndex: f.columnIndex,
      files: f.files.map(({ record, file }) => fileJson(request, record, file)),
    })),
  };
}

export const documentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.store.db;

  app.get(
    '/documents',
    {
      schema: {
        operationId: 'listDocuments',
        summary: 'Documents the caller may read; query searches names, tags and field text',
        querystring: Type.Object({ ...PageQuery, orderBy: OrderBy, query: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 200: paginated('documents', DocumentSummary), ...errors(400, 401, 429, 500) },
      },
    },
    async (request) => {
      const p = page(request.query);
      const order = sortOrder(request.query.orderBy, 'lastModified desc');
      const { totalHits, documents } = await listDocuments(db, await viewerOf(request), request.query.query?.trim() || null, order, p);
      return {
        totalHits,
        pageNumber: p.pageNumber,
        documents: documents.map((d) => summaryJson(request, d.record, d.owner, d.form)),
        _links: pageLinks(request, totalHits, p.pageNumber, p.pageSize),
      };
    },
  );

  app.post(
    '/documents',
    {
      schema: {
        operationId: 'createDocument',
        summary: 'Create a document',
        body: NewDocumentBody,
        response: { 201: DocumentJson, ...errors(400, 401, 404, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => reply.code(201).send(documentJson(request, await createDocument(db, await viewerOf(request), request.body))),
  );

  app.get(
    '/documents/:id',
    {
      schema: { operationId: 'getDocument', summary: 'A document with its fields', params: IdParams, response: { 200: DocumentJson, ...errors(400, 401, 404, 429, 500) } },
    },
    async (request) => documentJson(request, await getDocument(db, await viewerOf(request), request.params.id)),
  );

  app.put(
    '/documents/:id',
    {
      schema: {
        operationId: 'updateDocument',
        summary: 'Change a document: saved as a new version, the old one kept',
        params: IdParams,
        body: DocumentChangesBody,
        response: { 200: DocumentJson, ...errors(400, 401, 404, 413, 415, 422, 429, 500) },
      },
    },
    async (request) => documentJson(request, await updateDocument(db, await viewerOf(request), request.params.id, request.body)),
  );

  app.delete(
    '/documents/:id',
    {
      schema: { operationId: 'deleteDocument', summary: 'Delete a document', params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 404, 429, 500) } },
    },
    async (request, reply) => {
      await deleteDocument(db, await viewerOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
