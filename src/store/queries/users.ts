import { compiledOnce, type Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { NewUserRow, UserRow } from '../schema.js';
import type { SystemRole, User } from '../../domain/model.js';

export function rowToUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role as SystemRole,
    affiliation: row.affiliation,
    enabled: row.enabled === 1,
    homeFolderId: row.home_folder_id ?? 0,
    galleryFolderId: row.gallery_folder_id ?? 0,
    created: row.created,
  };
}

export async function insertUser(db: Db, row: NewUserRow): Promise<number> {
  const { id } = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function setUserFolders(db: Db, userId: number, homeFolderId: number, galleryFolderId: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ home_folder_id: homeFolderId, gallery_folder_id: galleryFolderId })
    .where('id', '=', userId)
    .execute();
}

export async function findUserById(db: Db, id: number): Promise<User | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row && rowToUser(row);
}

export async function findUserByUsername(db: Db, username: string): Promise<User | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row && rowToUser(row);
}

/** A user with their stored password hash, which only signing in reads. */
export async function findUserWithPassword(db: Db, username: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row && { user: rowToUser(row), passwordHash: row.password_hash };
}

export async function findUsersByUsernames(db: Db, usernames: string[]): Promise<User[]> {
  if (usernames.length === 0) return [];
  const rows = await db.selectFrom('users').selectAll().where('username', 'in', usernames).execute();
  return rows.map(rowToUser);
}

const userByApiKeyHash = compiledOnce((db: Db, hash: string) => db.selectFrom('users').selectAll().where('api_key_hash', '=', hash));

/** Every authenticated request asks, so the query is compiled once. */
export async function findUserByApiKeyHash(db: Db, hash: string): Promise<{ user: User; apiKeyHash: string } | undefined> {
  const [row] = await userByApiKeyHash(db, hash);
  return row && { user: rowToUser(row), apiKeyHash: row.api_key_hash ?? '' };
}

export async function setUserApiKeyHash(db: Db, userId: number, hash: string): Promise<void> {
  await db.updateTable('users').set({ api_key_hash: hash }).where('id', '=', userId).execute();
}

/** Every stored key hash; read whole, as a lab's users are at most thousands of short rows. */
export async function listApiKeyHashes(db: Db): Promise<{ id: number; apiKeyHash: string }[]> {
  const rows = await db.selectFrom('users').select(['id', 'api_key_hash']).where('api_key_hash', 'is not', null).execute();
  return rows.map((row) => ({ id: row.id, apiKeyHash: row.api_key_hash! }));
}

/** Replaces a key hash only if it is still `from` (a compare-and-set). */
export async function replaceApiKeyHash(db: Db, userId: number, from: string, to: string): Promise<void> {
  await db.updateTable('users').set({ api_key_hash: to }).where('id', '=', userId).where('api_key_hash', '=', from).execute();
}

export async function setUserEnabled(db: Db, userId: number, enabled: boolean): Promise<void> {
  await db.updateTable('users').set({ enabled: enabled ? 1 : 0 }).where('id', '=', userId).execute();
}

export async function countUsers(db: Db): Promise<number> {
  const { n } = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(n);
}

export async function hasSysadmin(db: Db): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('role', '=', 'ROLE_SYSADMIN').limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listUsersPage(db: Db, offset: number, limit: number): Promise<User[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('id').offset(offset).limit(limit).execute();
  return rows.map(rowToUser);
}

export async function findUsersByIds(db: Db, ids: number[]): Promise<User[]> {
  const storable = ids.filter(isStorableId);
  if (storable.length === 0) return [];
  const rows = await db.selectFrom('users').selectAll().where('id', 'in', storable).execute();
  return rows.map(rowToUser);
}
