import { verifyPassword } from '../domain/passwords.js';
import { newSessionTokens, sessionTokenHash } from '../domain/sessions.js';
import type { User } from '../domain/model.js';
import type { Db } from '../store/db.js';
import { deleteSession, insertSession } from '../store/queries/sessions.js';
import { findUserWithPassword } from '../store/queries/users.js';

/** Signing in to the exports page and out of it (issue 12). */

export interface NewSession {
  /** For the cookie only: it is stored as its hash and never again available. */
  token: string;
  csrfToken: string;
  expires: string;
}

/**
 * The user whose password this is, or undefined: an unknown username and a wrong password are
 * told apart neither by the answer nor by the time it takes (verifyPassword).
 */
export async function userByPassword(db: Db, username: string, password: string): Promise<User | undefined> {
  const found = await findUserWithPassword(db, username);
  const matches = await verifyPassword(password, found?.passwordHash ?? null);
  return matches ? found!.user : undefined;
}

/** Opens a session for `user` lasting `lifetimeMs`, ending the one `replacing` names if any. */
export async function openSession(db: Db, user: User, lifetimeMs: number, replacing?: string): Promise<NewSession> {
  const { token, csrfToken } = newSessionTokens();
  const now = Date.now();
  const session = { token, csrfToken, expires: new Date(now + lifetimeMs).toISOString() };
  await db.transaction().execute(async (trx) => {
    if (replacing) await deleteSession(trx, sessionTokenHash(replacing));
    await insertSession(trx, { tokenHash: sessionTokenHash(token), userId: user.id, csrfToken, created: new Date(now).toISOString(), expires: session.expires });
  });
  return session;
}
