import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { version } from '../../version.js';

export const statusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/status',
    {
      config: { public: true },
      schema: {
        summary: 'Health check; needs no API key',
        response: { 200: Type.Object({ message: Type.String(), rspaceVersion: Type.String() }) },
      },
    },
    async () => ({ message: 'OK', rspaceVersion: version }),
  );
};
