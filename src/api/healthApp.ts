import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Role } from '../config.js';
import type { ExportService } from '../jobs/exportService.js';
import { version } from '../version.js';
import { registerErrorHandling } from './errors.js';

export interface HealthParts {
  role: Role;
  exports: ExportService;
  logger: FastifyBaseLogger;
}

/**
 * All a `worker` process serves: GET /health, for a supervisor or a load balancer's probe. It
 * needs no API key and gives nothing away but what runs here; anything else is a 404 in the
 * contract's shape.
 */
export async function buildHealthApp(parts: HealthParts): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: parts.logger }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandling(app);
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            role: Type.String(),
            workerId: Type.String(),
            version: Type.String(),
            runningJobs: Type.Integer(),
          }),
        },
      },
    },
    async () => ({ status: 'ok' as const, role: parts.role, workerId: parts.exports.workerId, version, runningJobs: parts.exports.runningJobs }),
  );
  return app;
}
