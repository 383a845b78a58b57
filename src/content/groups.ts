import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { illegalArgument } from '../domain/errors.js';
import { validNewGroup, type NewGroup } from '../domain/groupRules.js';
import type { Group } from '../domain/model.js';
import { isoNow } from '../domain/time.js';
import { findGroup, insertGroup, insertGroupMembers, setGroupSharedFolder } from '../store/queries/groups.js';
import { insertRecord } from '../store/queries/records.js';
import { findUsersByUsernames } from '../store/queries/users.js';

/** Creates a group and its shared folder in its own transaction. */
export async function createGroup(db: Kysely<DB>, input: NewGroup): Promise<Group> {
  return db.transaction().execute((trx) => createGroupWithin(trx, input));
}

/**
 * Creates a group and its shared folder inside the caller's transaction (a user and the lab
 * group made for them commit together). A PI must hold the PI role.
 */
export async function createGroupWithin(trx: Db, input: NewGroup): Promise<Group> {
  const { name, type } = validNewGroup(input);
  const usernames = input.members.map((m) => m.username);
  const users = await findUsersByUsernames(trx, usernames);
  const missing = usernames.filter((u) => !users.some((x) => x.username === u));
  if (missing.length) throw illegalArgument(`No such user: ${missing.join(', ')}`);
  for (const pi of input.members.filter((m) => m.roleInGroup === 'PI')) {
    const user = users.find((u) => u.username === pi.username);
    if (user && user.role !== 'ROLE_PI' && user.role !== 'ROLE_SYSADMIN') {
      throw illegalArgument(`${pi.username} cannot be a group's PI without the ROLE_PI role`);
    }
  }
  const created = isoNow();
  const groupId = await insertGroup(trx, { name, type, created });
  const members = input.members.map((m) => ({
    userId: users.find((u) => u.username === m.username)!.id,
    role: m.roleInGroup,
    viewAll: m.roleInGroup === 'RS_LAB_ADMIN' && m.viewAll === true,
  }));
  await insertGroupMembers(trx, groupId, members);
  const folderOwner = members.find((m) => m.role === 'PI') ?? members.find((m) => m.role === 'GROUP_OWNER') ?? members[0]!;
  const folderId = await insertRecord(trx, {
    kind: 'FOLDER',
    name: `${name}_SHARED`,
    owner_id: folderOwner.userId,
    parent_id: null,
    created,
    modified: created,
    form_id: null,
    deleted_at: null,
  });
  await setGroupSharedFolder(trx, groupId, folderId);
  const group = await findGroup(trx, groupId);
  if (!group) throw new Error(`Group ${groupId} vanished inside its own transaction`);
  return group;
}
