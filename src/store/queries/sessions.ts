import { compiledOnce, type Db } from '../db.js';
import { rowToUser } from './users.js';
import type { User } from '../../domain/model.js';

/** Sign-in sessions (issue 12); the token is known here only by its hash. */

export interface StoredSession {
  user: User;
  csrfToken: string;
  expires: string;
}

export async function insertSession(
  db: Db,
  session: { tokenHash: string; userId: number; csrfToken: string; created: string; expires: string },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({ token_hash: session.tokenHash, user_id: session.userId, csrf_token: session.csrfToken, created: session.created, expires: session.expires })
    .execute();
}

// Every request the page makes asks, so the query is compiled once.
const sessionByHash = compiledOnce((db: Db, tokenHash: string, now: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select(['sessions.csrf_token', 'sessions.expires'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('sessions.expires', '>', now),
);

/** The session with this token hash and its user, unless it has expired. */
export async function findSession(db: Db, tokenHash: string, now: string): Promise<StoredSession | undefined> {
  const [row] = await sessionByHash(db, tokenHash, now);
  if (!row) return undefined;
  const { csrf_token, expires, ...user } = row;
  return { user: rowToUser(user), csrfToken: csrf_token, expires };
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Removes sessions past their expiry, which no request can use any more; how many went. */
export async function deleteExpiredSessions(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
