import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectError, forEachDatabase, useLab } from './support/lab.js';

forEachDatabase((kind) => {
  describe('status, auth and errors', () => {
    const lab = useLab(kind);

    it('answers /status without a key, as RSpace does', async () => {
      const r = await lab().call('GET', '/status', { key: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { message: 'OK', rspaceVersion: '0.1.0' });
      assert.ok(r.headers.get('x-rate-limit-limit'));
    });

    it('refuses a missing, malformed or unknown key with 401/40101', async () => {
      expectError(await lab().call('GET', '/userDetails/whoami', { key: null }), 401, 40101);
      expectError(await lab().call('GET', '/userDetails/whoami', { key: 'short' }), 401, 40101);
      expectError(await lab().call('GET', '/userDetails/whoami', { key: 'unknown_key_unknown_key' }), 401, 40101);
    });

    it('accepts Authorization: Bearer', async () => {
      const r = await lab().call('GET', '/userDetails/whoami', { key: null, headers: { authorization: 'Bearer test_sysadmin_key_0123456789' } });
      assert.equal(r.status, 200);
      assert.equal(r.body.hasSysAdminRole, true);
    });

    it('answers an unknown route in the error shape', async () => {
      expectError(await lab().call('GET', '/no/such/thing'), 404, 40402);
    });

    it('serves an OpenAPI document that lists the routes', async () => {
      const r = await lab().call('GET', '/openapi.json', { key: null });
      assert.equal(r.status, 200);
      assert.ok(r.body.paths['/api/v1/documents/{id}']);
    });
  });
});
