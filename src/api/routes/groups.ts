import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { notFound } from '../../domain/errors.js';
import { globalId } from '../../domain/globalIds.js';
import type { Group } from '../../domain/model.js';
import { isSysadmin } from '../../domain/permissions.js';
import { allGroups, findGroup } from '../../store/queries/groups.js';
import { userOf, viewerOf } from '../auth.js';
import { selfLink } from '../links.js';
import { errors, IdParams, Links } from '../schemas.js';

export const GroupJson = Type.Object({
  id: Type.Integer(),
  globalId: Type.String(),
  name: Type.String(),
  type: Type.String(),
  sharedFolderId: Type.Integer(),
  members: Type.Array(Type.Object({ id: Type.Integer(), username: Type.String(), role: Type.String() })),
  _links: Links,
});

export function groupJson(request: FastifyRequest, group: Group) {
  return {
    id: group.id,
    globalId: globalId('GROUP', group.id),
    name: group.name,
    type: group.type,
    sharedFolderId: group.sharedFolderId,
    members: group.members.map((m) => ({ id: m.userId, username: m.username, role: m.role })),
    _links: [selfLink(request, `/groups/${group.id}`)],
  };
}

export const groupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/groups',
    {
      schema: { operationId: 'listGroups', summary: "The caller's groups (a sysadmin sees all)", response: { 200: Type.Array(GroupJson), ...errors(401, 429, 500) } },
    },
    async (request) => {
      const groups = isSysadmin(userOf(request)) ? await allGroups(app.store.db) : (await viewerOf(request)).groups;
      return groups.map((g) => groupJson(request, g));
    },
  );

  app.get(
    '/groups/:id',
    {
      schema: {
        operationId: 'getGroup',
        summary: 'One group, for its members and sysadmins',
        params: IdParams,
        response: { 200: GroupJson, ...errors(400, 401, 404, 429, 500) },
      },
    },
    async (request) => {
      const user = userOf(request);
      const group = await findGroup(app.store.db, request.params.id);
      if (!group || !(isSysadmin(user) || group.members.some((m) => m.userId === user.id))) {
        throw notFound('group', request.params.id);
      }
      return groupJson(request, group);
    },
  );
};
