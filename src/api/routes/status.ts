import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { version } from '../../version.js';
import { errors } from '../schemas.js';

export const statusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status',
    {
      config: { public: true, checkPresentedKey: true },
      schema: {
        operationId: 'getStatus',
        summary: 'Health check; needs no API key, but a key that is sent must be valid (401 otherwise)',
        response: { 200: Type.Object({ message: Type.String(), rspaceVersion: Type.String() }), ...errors(401, 429, 500) },
      },
    },
    async () => ({ message: 'OK', rspaceVersion: version }),
  );
};
