import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { generateApiKey, isWellFormedApiKey, type ApiKeyHasher } from '../domain/apiKeys.js';
import { hashPassword } from '../domain/passwords.js';
import { illegalArgument, invalidField, notFound } from '../domain/errors.js';
import { systemRoles, type SystemRole, type User } from '../domain/model.js';
import { isoNow } from '../domain/time.js';
import { isUniqueViolation } from '../store/dialect.js';
import { createGroupWithin } from './groups.js';
import { insertRecord } from '../store/queries/records.js';
import {
  findUserById,
  findUserByApiKeyHash,
  findUserByUsername,
  hasSysadmin,
  insertUser,
  setUserApiKeyHash,
  setUserEnabled,
  setUserFolders,
} from '../store/queries/users.js';

export interface NewUser {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  role: SystemRole;
  password?: string;
  affiliation?: string;
  apiKey?: string;
  /** A PI gets a lab group of which they are PI, as RSpace's createGroupForPi does. */
  createGroupForPi?: boolean;
}

/** The name of the lab group made for a new PI. */
function piGroupName(user: User): string {
  return `${user.firstName} ${user.lastName}'s group`;
}

const usernamePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,49}$/;

function validateNewUser(input: NewUser): void {
  if (!usernamePattern.test(input.username)) {
    throw invalidField('username', input.username, 'username must be 2–50 characters of letters, digits and . _ @ -, starting with a letter or digit');
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(input.email)) throw invalidField('email', input.email, 'email must be an e-mail address');
  if (!input.firstName.trim()) throw invalidField('firstName', input.firstName, 'firstName must not be empty');
  if (!input.lastName.trim()) throw invalidField('lastName', input.lastName, 'lastName must not be empty');
  if (!systemRoles.includes(input.role)) {
    throw invalidField('role', input.role, `role must be one of ${systemRoles.join(', ')}`);
  }
  if (input.password !== undefined && input.password.length < 8) {
    throw invalidField('password', '[hidden]', 'password must be at least 8 characters');
  }
  if (input.apiKey !== undefined && !isWellFormedApiKey(input.apiKey)) {
    throw invalidField('apiKey', '[hidden]', 'apiKey must be 16–64 characters of A-Z, a-z, 0-9 and _');
  }
  if (input.createGroupForPi && input.role !== 'ROLE_PI') {
    throw invalidField('createGroupForPi', true, `createGroupForPi is for a user with role ROLE_PI, not ${input.role}`);
  }
}

/**
 * Creates a user with a home folder and a gallery folder, and with createGroupForPi their lab
 * group; returns the user and their API key.
 */
export async function createUser(db: Kysely<DB>, apiKeys: ApiKeyHasher, input: NewUser): Promise<{ user: User; apiKey: string }> {
  validateNewUser(input);
  const apiKey = input.apiKey ?? generateApiKey();
  const apiKeyHash = apiKeys.hash(apiKey);
  const taken = () => illegalArgument(`The username ${input.username} is already taken`);
  const keyInUse = () => illegalArgument('That apiKey is already in use; choose another');
  try {
    return await db.transaction().execute(async (trx) => {
      if (await findUserByUsername(trx, input.username)) throw taken();
      if (await findUserByApiKeyHash(trx, apiKeyHash)) throw keyInUse();
      const created = isoNow();
      const userId = await insertUser(trx, {
        username: input.username,
        email: input.email,
        first_name: input.firstName.trim(),
        last_name: input.lastName.trim(),
        role: input.role,
        affiliation: input.affiliation ?? null,
        password_hash: input.password ? hashPassword(input.password) : null,
        api_key_hash: apiKeyHash,
        enabled: 1,
        created,
      });
      const folder = (name: string) =>
        insertRecord(trx, { kind: 'FOLDER', name, owner_id: userId, parent_id: null, created, modified: created, form_id: null, deleted_at: null });
      const home = await folder(input.username);
      const gallery = await folder('Gallery');
      await setUserFolders(trx, userId, home, gallery);
      const user = await findUserById(trx, userId);
      if (!user) throw new Error(`User ${userId} vanished inside its own transaction`);
      if (input.createGroupForPi) {
        await createGroupWithin(trx, { displayName: piGroupName(user), members: [{ username: user.username, roleInGroup: 'PI' }] });
      }
      return { user, apiKey };
    });
  } catch (error) {
    // Simultaneous requests can all pass the checks above before any commits; the unique index decides.
    if (!isUniqueViolation(error)) throw error;
    throw (await findUserByUsername(db, input.username)) ? taken() : keyInUse();
  }
}

async function existingUser(db: Kysely<DB>, id: number): Promise<User> {
  const user = await findUserById(db, id);
  if (!user) throw notFound('user', id);
  return user;
}

/** Replaces a user's API key; the old one stops working at once. */
export async function resetApiKey(db: Kysely<DB>, apiKeys: ApiKeyHasher, userId: number, apiKey = generateApiKey()): Promise<string> {
  await existingUser(db, userId);
  if (!isWellFormedApiKey(apiKey)) throw invalidField('apiKey', '[hidden]', 'apiKey must be 16–64 characters of A-Z, a-z, 0-9 and _');
  const hash = apiKeys.hash(apiKey);
  const holder = await findUserByApiKeyHash(db, hash);
  if (holder && holder.user.id !== userId) throw illegalArgument('That apiKey is already in use; choose another');
  await setUserApiKeyHash(db, userId, hash);
  return apiKey;
}

/** Enables or disables an account. Nobody disables their own: a lone sysadmin would have no way back. */
export async function enableUser(db: Kysely<DB>, actor: User, userId: number, enabled: boolean): Promise<User> {
  await existingUser(db, userId);
  if (!enabled && userId === actor.id) throw illegalArgument('You cannot disable your own account');
  await setUserEnabled(db, userId, enabled);
  return existingUser(db, userId);
}

/**
 * On a fresh install the first sysadmin is created, with the configured key or a generated one
 * that the caller prints once. Returns null when a sysadmin exists. Users made with
 * `elnport admin create-user` before the first start do not count: without a sysadmin nobody
 * could manage the server over the API.
 */
export async function ensureFirstSysadmin(
  db: Kysely<DB>,
  apiKeys: ApiKeyHasher,
  apiKey: string | null,
): Promise<{ user: User; apiKey: string } | null> {
  if (await hasSysadmin(db)) return null;
  return createUser(db, apiKeys, {
    username: 'sysadmin',
    email: 'sysadmin@localhost',
    firstName: 'System',
    lastName: 'Administrator',
    role: 'ROLE_SYSADMIN',
    apiKey: apiKey ?? undefined,
  });
}
