import type { Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { Group, GroupMember, GroupRole, GroupType } from '../../domain/model.js';

export interface NewGroup {
  name: string;
  type: GroupType;
  created: string;
}

export async function insertGroup(db: Db, group: NewGroup): Promise<number> {
  const { id } = await db.insertInto('lab_groups').values(group).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function setGroupSharedFolder(db: Db, groupId: number, folderId: number): Promise<void> {
  await db.updateTable('lab_groups').set({ shared_folder_id: folderId }).where('id', '=', groupId).execute();
}

export async function insertGroupMembers(
  db: Db,
  groupId: number,
  members: { userId: number; role: GroupRole; viewAll: boolean }[],
): Promise<void> {
  await db
    .insertInto('group_members')
    .values(members.map((m) => ({ group_id: groupId, user_id: m.userId, role: m.role, view_all: m.viewAll ? 1 : 0 })))
    .execute();
}

/** Loads groups with their members in two queries, whatever the number of groups. */
async function withMembers(
  db: Db,
  rows: { id: number; name: string; type: string; shared_folder_id: number | null; created: string }[],
): Promise<Group[]> {
  if (rows.length === 0) return [];
  const members = await db
    .selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .select(['group_members.group_id', 'group_members.user_id', 'group_members.role', 'group_members.view_all', 'users.username'])
    .where(
      'group_members.group_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('group_members.group_id')
    .orderBy('users.id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    type: row.type as GroupType,
    sharedFolderId: row.shared_folder_id ?? 0,
    created: row.created,
    members: members
      .filter((m) => m.group_id === row.id)
      .map(
        (m): GroupMember => ({ userId: m.user_id, username: m.username, role: m.role as GroupRole, viewAll: m.view_all === 1 }),
      ),
  }));
}

export async function findGroup(db: Db, id: number): Promise<Group | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = await db.selectFrom('lab_groups').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await withMembers(db, [row]))[0] : undefined;
}

export async function groupsOfUser(db: Db, userId: number): Promise<Group[]> {
  const rows = await db
    .selectFrom('lab_groups')
    .selectAll()
    .where('id', 'in', (eb) => eb.selectFrom('group_members').select('group_id').where('user_id', '=', userId))
    .orderBy('id')
    .execute();
  return withMembers(db, rows);
}

export async function allGroups(db: Db): Promise<Group[]> {
  return withMembers(db, await db.selectFrom('lab_groups').selectAll().orderBy('id').execute());
}
