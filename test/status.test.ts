import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectError, forEachDatabase, sysadminKey, useLab } from './support/lab.js';

forEachDatabase((kind) => {
  describe('status, auth and errors', () => {
    const lab = useLab(kind);

    it('answers /status without a key, as RSpace does', async () => {
      const r = await lab().call('GET', '/status', { key: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { message: 'OK', rspaceVersion: '0.1.0' });
      assert.ok(r.headers.get('x-rate-limit-limit'));
    });

    it('checks a key sent to /status, as RSpace does, and answers 200 for a good one', async () => {
      const good = await lab().call('GET', '/status');
      assert.equal(good.status, 200, good.text);
      assert.deepEqual(good.body, { message: 'OK', rspaceVersion: '0.1.0' });
      const bearer = await lab().call('GET', '/status', { key: null, headers: { authorization: `Bearer ${sysadminKey}` } });
      assert.equal(bearer.status, 200, bearer.text);
      for (const key of ['short', 'unknown_key_unknown_key']) {
        const atStatus = expectError(await lab().call('GET', '/status', { key }), 401, 40101);
        const elsewhere = expectError(await lab().call('GET', '/userDetails/whoami', { key }), 401, 40101);
        assert.equal(atStatus.message, elsewhere.message, 'the same message as other routes');
      }
      expectError(await lab().call('GET', '/status', { key: null, headers: { authorization: 'Bearer unknown_key_unknown_key' } }), 401, 40101);
    });

    it('refuses a disabled account at /status', async () => {
      const user = await lab().createUser('dora');
      assert.equal((await lab().call('GET', '/status', { key: user.key })).status, 200);
      assert.equal((await lab().call('PUT', `/sysadmin/users/${user.id}/disable`)).status, 200);
      const body = expectError(await lab().call('GET', '/status', { key: user.key }), 401, 40101);
      assert.match(body.message, /dora.*disabled/);
      assert.equal((await lab().call('GET', '/status', { key: null })).status, 200, 'still public without a key');
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
      assert.ok(r.body.paths['/api/v1/status'].get.responses['401'], '/status lists its 401');
    });
  });
});
