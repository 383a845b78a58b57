import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../auth.js';
import { errors, UserSummary } from '../schemas.js';
import { userJson } from '../views.js';

export const UserDetails = Type.Composite([
  UserSummary,
  Type.Object({ role: Type.String(), affiliation: Type.Union([Type.String(), Type.Null()]), enabled: Type.Boolean() }),
]);

export const userDetailsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/userDetails/whoami',
    { schema: { operationId: 'whoami', summary: 'The caller', response: { 200: UserDetails, ...errors(401, 429, 500) } } },
    async (request) => {
      const user = userOf(request);
      return { ...userJson(user), role: user.role, affiliation: user.affiliation, enabled: user.enabled };
    },
  );
};
