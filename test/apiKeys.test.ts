import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { resetApiKey } from '../src/content/users.js';
import { expectError, forEachDatabase, sysadminKey, useLab, type Account } from './support/lab.js';

/**
 * Issue 7, item 10: a stolen database alone must not let anyone guess keys offline, so a key is
 * stored as an HMAC under a secret kept outside the database; keys stored as a bare sha256 by
 * earlier versions keep working.
 */

const sha256 = (key: string) => createHash('sha256').update(key, 'utf8').digest();
const hmac1 = (secret: string, key: string) => `hmac1$${createHmac('sha256', secret).update(sha256(key)).digest('hex')}`;
const otherSecret = 'another_secret_entirely_0123456789_abcdef';

describe('ELNPORT_API_KEY_SECRET', () => {
  it('must be long enough to be a secret', () => {
    assert.throws(() => loadConfig({ ELNPORT_API_KEY_SECRET: 'short' }), /ELNPORT_API_KEY_SECRET must be at least 32 characters/);
    assert.equal(loadConfig({ ELNPORT_API_KEY_SECRET: otherSecret }).apiKeySecret, otherSecret);
    assert.equal(loadConfig({}).apiKeySecret, null);
  });
});

forEachDatabase((kind) => {
  describe('API keys at rest', () => {
    const lab = useLab(kind);
    const dirs: string[] = [];
    let alice: Account;

    before(async () => {
      alice = await lab().createUser('alice');
    });
    after(() => {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    });

    const whoami = (key: string) => lab().call('GET', '/userDetails/whoami', { key });
    const secretFile = () => path.join(lab().dataDir, 'secrets', 'api-key-secret');
    const secret = () => fs.readFileSync(secretFile(), 'utf8').trim();
    async function stored(username: string): Promise<string | null> {
      const row = await lab().server.store.db.selectFrom('users').select('api_key_hash').where('username', '=', username).executeTakeFirstOrThrow();
      return row.api_key_hash;
    }
    async function storeLegacy(account: Account): Promise<void> {
      const legacy = sha256(account.key).toString('hex');
      await lab().server.store.db.updateTable('users').set({ api_key_hash: legacy }).where('id', '=', account.id).execute();
    }
    /** What an admin does when the secret is lost: `elnport admin reset-key` for the sysadmin, to the key the lab calls with. */
    async function rekeySysadmin(): Promise<void> {
      const { id } = await lab().server.store.db.selectFrom('users').select('id').where('username', '=', 'sysadmin').executeTakeFirstOrThrow();
      await resetApiKey(lab().server.store.db, lab().server.store.apiKeys, id, sysadminKey);
    }
    /** A data directory holding what the lab's holds in its database (on PostgreSQL the database is shared anyway). */
    async function copyOfDatabase(): Promise<string> {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-copy-'));
      dirs.push(dir);
      if (kind === 'sqlite') await sql`vacuum into ${path.join(dir, 'elnport.sqlite')}`.execute(lab().server.store.db);
      return dir;
    }

    it('are stored as an HMAC under a secret made on first start (mode 0600), not as sha256(key)', async () => {
      const value = await stored('alice');
      assert.notEqual(value, sha256(alice.key).toString('hex'));
      assert.equal(value, hmac1(secret(), alice.key));
      assert.ok(secret().length >= 32);
      assert.equal(fs.statSync(secretFile()).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(secretFile())).mode & 0o777, 0o700);
      assert.equal((await whoami(alice.key)).status, 200);
    });

    it('a key stored as a bare sha256 by an earlier version still works after a restart, and its row is upgraded', async () => {
      const bob = await lab().createUser('bob');
      const carol = await lab().createUser('carol');
      await storeLegacy(bob);
      await storeLegacy(carol);
      await lab().restart();
      for (const who of [bob, carol]) {
        assert.equal((await whoami(who.key)).body.username, who.username);
        assert.equal(await stored(who.username), hmac1(secret(), who.key));
      }
      await lab().restart();
      assert.equal(await stored('bob'), hmac1(secret(), bob.key), 'an upgraded key is not upgraded again');
      assert.equal((await whoami(bob.key)).status, 200);
    });

    it('ELNPORT_API_KEY_SECRET: processes with their own data directories but the same secret accept the same keys', async () => {
      const first = await copyOfDatabase();
      await lab().restart({ ELNPORT_DATA_DIR: first, ELNPORT_API_KEY_SECRET: otherSecret });
      expectError(await whoami(alice.key), 401, 40101);
      await rekeySysadmin();
      const dave = await lab().createUser('dave');
      assert.equal(await stored('dave'), hmac1(otherSecret, dave.key));
      const second = await copyOfDatabase();
      await lab().restart({ ELNPORT_DATA_DIR: second, ELNPORT_API_KEY_SECRET: otherSecret });
      assert.equal((await whoami(dave.key)).body.username, 'dave');
      for (const dir of [first, second]) assert.equal(fs.existsSync(path.join(dir, 'secrets')), false, 'no secret file beside a given secret');
      await lab().restart();
    });

    it('a copy of the database without its secret lets nobody in, until an admin resets a key', async () => {
      const elsewhere = await copyOfDatabase();
      await lab().restart({ ELNPORT_DATA_DIR: elsewhere });
      expectError(await whoami(alice.key), 401, 40101);
      expectError(await whoami(sysadminKey), 401, 40101);
      const fresh = await resetApiKey(lab().server.store.db, lab().server.store.apiKeys, alice.id);
      assert.equal((await whoami(fresh)).body.username, 'alice');
      await lab().restart();
    });
  });
});
