import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { userOf } from '../auth.js';
import { errors, UserDetails } from '../schemas.js';
import { userDetailsJson } from '../views.js';

export const userDetailsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/userDetails/whoami',
    { schema: { operationId: 'whoami', summary: 'The caller', response: { 200: UserDetails, ...errors(401, 429, 500) } } },
    async (request) => userDetailsJson(userOf(request)),
  );
};
