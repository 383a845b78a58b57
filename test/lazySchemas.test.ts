import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { exportRouteNames } from '../src/api/app.js';
import { lazySchemaCompilers, type RouteName } from '../src/api/lazySchemas.js';
import { useLab } from './support/lab.js';

/** A schema ajv refuses to compile: when it is compiled shows in whether app.ready() fails. */
const uncompilable = { type: 'object', properties: { a: { type: 'no such type' } } } as const;

async function appWith(eager: RouteName[]) {
  const app = Fastify({ schemaController: lazySchemaCompilers(new Set(eager)) });
  app.get('/things/:id', { schema: { querystring: uncompilable } }, async () => ({ ok: true }));
  return app;
}

describe('schemas compiled lazily, but for the routes every export uses', () => {
  it('compiles a named route\'s schema as the app starts, the others on their first request', async () => {
    const eager = await appWith(['GET /things/:id']);
    await assert.rejects(async () => { await eager.ready(); }, /Failed building the validation schema for GET: \/things\/:id/);

    const lazy = await appWith(['GET /other/:id']);
    await lazy.ready();
    const answer = await lazy.inject({ method: 'GET', url: '/things/1?a=1' });
    assert.equal(answer.statusCode, 500, 'compiled, and refused, only when first asked');
    await lazy.close();
  });

  describe('in the server', () => {
    const lab = useLab('sqlite');
    it('names routes the API has, so that none drops out of the list unnoticed', () => {
      for (const name of exportRouteNames) {
        const [method, url] = name.split(' ') as ['GET' | 'POST', string];
        assert.ok(lab().server.app.hasRoute({ method, url }), name);
      }
    });
  });
});
