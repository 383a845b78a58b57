import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { invalidField, missingParameter, unauthorized } from '../../domain/errors.js';
import { groupRoles, groupTypes, systemRoles } from '../../domain/model.js';
import { isSysadmin } from '../../domain/permissions.js';
import { createGroup } from '../../content/groups.js';
import { createUser, enableUser } from '../../content/users.js';
import { countUsers, listUsersPage } from '../../store/queries/users.js';
import { userOf } from '../auth.js';
import { page, pageLinks } from '../links.js';
import { errors, IdParams, PageQuery, paginated, UserDetails } from '../schemas.js';
import { userDetailsJson } from '../views.js';
import { GroupJson, groupJson } from './groups.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const NewUserBody = Type.Object({
  username: Type.String(),
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  password: Type.String(),
  role: literals(systemRoles),
  affiliation: Type.Optional(Type.String()),
  apiKey: Type.Optional(Type.String()),
  createGroupForPi: Type.Optional(Type.Boolean({ description: 'with role ROLE_PI: also create a lab group of which they are PI (default false)' })),
});

const NewGroupMember = Type.Object({
  username: Type.String(),
  roleInGroup: literals(groupRoles),
  viewAll: Type.Optional(Type.Boolean({ description: 'extension: a lab admin who may read every member\'s work' })),
});

const NewGroupBody = Type.Object({
  displayName: Type.String(),
  type: Type.Optional(literals(groupTypes)),
  members: Type.Optional(Type.Array(NewGroupMember, { description: '1 to 20 members' })),
  users: Type.Optional(Type.Array(NewGroupMember, { description: 'an alias of members, as in RSpace; send one of the two' })),
});

/** RSpace reads the members from `members` or `users`; given both, one would be silently dropped. */
function membersOf(body: Static<typeof NewGroupBody>): Static<typeof NewGroupMember>[] {
  if (body.members && body.users) throw invalidField('users', null, 'Send the members as members or as users (its alias), not both');
  const members = body.members ?? body.users;
  if (!members) throw missingParameter('members');
  return members;
}

function requireSysadmin(request: FastifyRequest): void {
  const user = userOf(request);
  if (!isSysadmin(user)) throw unauthorized(`${user.username} is not a sysadmin`);
}

export const sysadminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Every route of this plugin is a sysadmin's; refuse others before reading what they sent
  // (the body is parsed before preValidation, so a broken body would otherwise answer first).
  app.addHook('onRequest', async (request) => requireSysadmin(request));

  app.post(
    '/sysadmin/users',
    {
      schema: {
        operationId: 'createUser',
        summary: 'Create a user (sysadmin); the answer carries the API key, shown this once',
        body: NewUserBody,
        response: { 201: Type.Composite([UserDetails, Type.Object({ apiKey: Type.String() })]), ...errors(400, 401, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => {
      const { user, apiKey } = await createUser(app.store.db, app.store.apiKeys, request.body);
      return reply.code(201).send({ ...userDetailsJson(user), apiKey });
    },
  );

  app.get(
    '/sysadmin/users',
    {
      schema: {
        operationId: 'listUsers',
        summary: 'All users, a page at a time (sysadmin)',
        querystring: Type.Object(PageQuery),
        response: { 200: paginated('users', UserDetails), ...errors(400, 401, 429, 500) },
      },
    },
    async (request) => {
      const p = page(request.query);
      const [totalHits, users] = await Promise.all([countUsers(app.store.db), listUsersPage(app.store.db, p.offset, p.limit)]);
      return { totalHits, pageNumber: p.pageNumber, users: users.map(userDetailsJson), _links: pageLinks(request, totalHits, p.pageNumber, p.pageSize) };
    },
  );

  for (const action of ['enable', 'disable'] as const) {
    app.put(
      `/sysadmin/users/:id/${action}`,
      {
        schema: {
          operationId: `${action}User`,
          summary: `${action === 'enable' ? 'Enable' : 'Disable'} a user's account (sysadmin)`,
          params: IdParams,
          // Only disabling is refused with 422: nobody may disable their own account.
          response: { 200: UserDetails, ...(action === 'enable' ? errors(400, 401, 404, 429, 500) : errors(400, 401, 404, 422, 429, 500)) },
        },
      },
      async (request) => userDetailsJson(await enableUser(app.store.db, userOf(request), request.params.id, action === 'enable')),
    );
  }

  app.post(
    '/sysadmin/groups',
    {
      schema: {
        operationId: 'createGroup',
        summary: 'Create a group (sysadmin); a lab group (the default type) needs one PI',
        body: NewGroupBody,
        response: { 201: GroupJson, ...errors(400, 401, 413, 415, 422, 429, 500) },
      },
    },
    async (request, reply) => {
      const { displayName, type } = request.body;
      const group = await createGroup(app.store.db, { displayName, type, members: membersOf(request.body) });
      return reply.code(201).send(groupJson(request, group));
    },
  );
};
