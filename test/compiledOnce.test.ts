import assert from 'node:assert/strict';
import { it } from 'node:test';
import { compiledOnce, type Db } from '../src/store/db.js';
import { forEachDatabase, useLab } from './support/lab.js';

/**
 * Issue 9: the queries every request makes are built and compiled once per database, then run
 * with their values put in (store/db.ts). They must answer as the query built afresh would, for
 * every value, on both databases, and inside a transaction as well as outside one.
 */

const built = (db: Db, username: string, role: string) =>
  db.selectFrom('users').select(['username', 'role']).where('username', '=', username).where('role', '=', role).where('enabled', '=', 1).orderBy('id');
const compiled = compiledOnce(built);

forEachDatabase((kind) => {
  const lab = useLab(kind);

  it('answers as the query built afresh, value after value', async () => {
    await lab().createUser('ada');
    await lab().createUser('grace', 'ROLE_PI');
    const { db } = lab().server.store;
    for (const [username, role] of [['ada', 'ROLE_USER'], ['grace', 'ROLE_PI'], ['grace', 'ROLE_USER'], ['nobody', 'ROLE_USER'], ['ada', 'ROLE_USER']] as const) {
      assert.deepEqual(await compiled(db, username, role), await built(db, username, role).execute(), `${username} ${role}`);
    }
    assert.deepEqual(await compiled(db, 'grace', 'ROLE_PI'), [{ username: 'grace', role: 'ROLE_PI' }]);
  });

  it('runs in the transaction it is given, seeing what the transaction wrote', async () => {
    const { db } = lab().server.store;
    const now = new Date().toISOString();
    await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ username: 'hedy', email: 'hedy@test.lab', first_name: 'Hedy', last_name: 'L', role: 'ROLE_USER', created: now }).execute();
        assert.deepEqual(await compiled(trx, 'hedy', 'ROLE_USER'), [{ username: 'hedy', role: 'ROLE_USER' }]);
        throw new Error('rolled back');
      })
      .catch((error: Error) => assert.equal(error.message, 'rolled back'));
    assert.deepEqual(await compiled(db, 'hedy', 'ROLE_USER'), []);
  });
});
