import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { invalidField } from '../../domain/errors.js';
import { globalId } from '../../domain/globalIds.js';
import type { RecordKind, RecordRow, User } from '../../domain/model.js';
import { createFolder, deleteFolder, folderTree, getFolder } from '../../content/folders.js';
import { findUsersByIds } from '../../store/queries/users.js';
import { viewerOf } from '../auth.js';
import { page, pageLinks, selfLink, sortOrder } from '../links.js';
import { errors, IdParams, Links, OrderBy, PageQuery, UserSummary } from '../schemas.js';
import { folderJson, recordPath, userJson } from '../views.js';

const FolderJson = Type.Object({
  id: Type.Integer(),
  globalId: Type.String(),
  name: Type.String(),
  created: Type.String(),
  lastModified: Type.String(),
  parentFolderId: Type.Union([Type.Integer(), Type.Null()]),
  notebook: Type.Boolean(),
  _links: Links,
});

const TreeRecord = Type.Object({
  id: Type.Integer(),
  globalId: Type.String(),
  name: Type.String(),
  created: Type.String(),
  lastModified: Type.String(),
  parentFolderId: Type.Union([Type.Integer(), Type.Null()]),
  owner: UserSummary,
  type: Type.String(),
  _links: Links,
});

const TreeJson = Type.Object({
  totalHits: Type.Integer(),
  pageNumber: Type.Integer(),
  folderId: Type.Integer(),
  records: Type.Array(TreeRecord),
  _links: Links,
});

const TreeQuery = Type.Object({
  ...PageQuery,
  orderBy: OrderBy,
  typesToInclude: Type.Optional(Type.String({ description: 'comma-separated: document, notebook, folder, media' })),
});

const typeNames: Record<string, RecordKind> = { document: 'DOCUMENT', notebook: 'NOTEBOOK', folder: 'FOLDER', media: 'MEDIA' };

function kindsOf(typesToInclude: string | undefined): RecordKind[] {
  if (!typesToInclude) return Object.values(typeNames);
  const words = typesToInclude.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const unknown = words.filter((w) => !(w in typeNames));
  if (unknown.length || !words.length) {
    throw invalidField('typesToInclude', typesToInclude, `typesToInclude takes ${Object.keys(typeNames).join(', ')}`);
  }
  return [...new Set(words.map((w) => typeNames[w]!))];
}

function treeRecordJson(request: FastifyRequest, record: RecordRow, owner: User) {
  return {
    id: record.id,
    globalId: globalId(record.kind, record.id),
    name: record.name,
    created: record.created,
    lastModified: record.modified,
    parentFolderId: record.parentId,
    owner: userJson(owner),
    type: record.kind,
    _links: [selfLink(request, recordPath(record))],
  };
}

export const folderRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.store.db;

  app.post(
    '/folders',
    {
      schema: {
        operationId: 'createFolder',
        summary: 'Create a folder, or a notebook with notebook: true',
        body: Type.Object({
          name: Type.String(),
          parentFolderId: Type.Optional(Type.Integer({ minimum: 1 })),
          notebook: Type.Optional(Type.Boolean()),
        }),
        response: { 201: FolderJson, ...errors(400, 401, 404, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => reply.code(201).send(folderJson(request, await createFolder(db, await viewerOf(request), request.body))),
  );

  app.get(
    '/folders/:id',
    { schema: { operationId: 'getFolder', summary: 'A folder or notebook', params: IdParams, response: { 200: FolderJson, ...errors(400, 401, 404, 429, 500) } } },
    async (request) => folderJson(request, await getFolder(db, await viewerOf(request), request.params.id)),
  );

  app.delete(
    '/folders/:id',
    {
      schema: {
        operationId: 'deleteFolder',
        summary: 'Delete a folder or notebook and everything in it',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 404, 422, 429, 500) },
      },
    },
    async (request, reply) => {
      await deleteFolder(db, await viewerOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  const tree = async (request: FastifyRequest, query: Static<typeof TreeQuery>, folderId?: number) => {
    const p = page(query);
    const order = sortOrder(query.orderBy, 'name asc');
    const result = await folderTree(db, await viewerOf(request), folderId, kindsOf(query.typesToInclude), order, p);
    const owners = await findUsersByIds(db, [...new Set(result.records.map((r) => r.ownerId))]);
    return {
      totalHits: result.totalHits,
      pageNumber: p.pageNumber,
      folderId: result.folder.id,
      records: result.records.map((r) => treeRecordJson(request, r, owners.find((o) => o.id === r.ownerId)!)),
      _links: pageLinks(request, result.totalHits, p.pageNumber, p.pageSize),
    };
  };

  app.get(
    '/folders/tree',
    {
      schema: {
        operationId: 'getHomeFolderTree',
        summary: "What the caller's home folder holds",
        querystring: TreeQuery,
        response: { 200: TreeJson, ...errors(400, 401, 429, 500) },
      },
    },
    async (request) => tree(request, request.query),
  );
  app.get(
    '/folders/tree/:id',
    {
      schema: {
        operationId: 'getFolderTree',
        summary: 'What a folder or notebook holds',
        params: IdParams,
        querystring: TreeQuery,
        response: { 200: TreeJson, ...errors(400, 401, 404, 429, 500) },
      },
    },
    async (request) => tree(request, request.query, request.params.id),
  );
};
