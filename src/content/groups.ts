import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { illegalArgument, invalidField } from '../domain/errors.js';
import { groupRoles, groupTypes, type Group, type GroupRole, type GroupType } from '../domain/model.js';
import { isoNow } from '../domain/time.js';
import { findGroup, insertGroup, insertGroupMembers, setGroupSharedFolder } from '../store/queries/groups.js';
import { insertRecord } from '../store/queries/records.js';
import { findUsersByUsernames } from '../store/queries/users.js';

export interface NewGroup {
  displayName: string;
  type: GroupType;
  members: { username: string; roleInGroup: GroupRole; viewAll?: boolean }[];
}

/** Creates a group and its shared folder. A lab group needs a PI, who must hold the PI role. */
export async function createGroup(db: Kysely<DB>, input: NewGroup): Promise<Group> {
  const name = input.displayName.trim();
  if (!name || name.length > 255) throw invalidField('displayName', input.displayName, 'displayName must be 1–255 characters');
  if (!groupTypes.includes(input.type)) throw invalidField('type', input.type, `type must be one of ${groupTypes.join(', ')}`);
  for (const m of input.members) {
    if (!groupRoles.includes(m.roleInGroup)) {
      throw invalidField('members.roleInGroup', m.roleInGroup, `roleInGroup must be one of ${groupRoles.join(', ')}`);
    }
  }
  // Without a member there is nobody to own the shared folder.
  if (input.members.length === 0) throw illegalArgument('A group needs at least one member');
  const usernames = input.members.map((m) => m.username);
  if (new Set(usernames).size !== usernames.length) throw illegalArgument('A user is listed twice in members');
  return db.transaction().execute(async (trx) => {
    const users = await findUsersByUsernames(trx, usernames);
    const missing = usernames.filter((u) => !users.some((x) => x.username === u));
    if (missing.length) throw illegalArgument(`No such user: ${missing.join(', ')}`);
    const pis = input.members.filter((m) => m.roleInGroup === 'PI');
    if (input.type === 'LAB_GROUP' && pis.length === 0) throw illegalArgument('A lab group needs a member with roleInGroup PI');
    for (const pi of pis) {
      const user = users.find((u) => u.username === pi.username);
      if (user && user.role !== 'ROLE_PI' && user.role !== 'ROLE_SYSADMIN') {
        throw illegalArgument(`${pi.username} cannot be a group's PI without the ROLE_PI role`);
      }
    }
    const created = isoNow();
    const groupId = await insertGroup(trx, { name, type: input.type, created });
    const members = input.members.map((m) => ({
      userId: users.find((u) => u.username === m.username)!.id,
      role: m.roleInGroup,
      viewAll: m.roleInGroup === 'RS_LAB_ADMIN' && m.viewAll === true,
    }));
    if (members.length) await insertGroupMembers(trx, groupId, members);
    const folderOwner = members.find((m) => m.role === 'PI') ?? members[0];
    if (folderOwner) {
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
    }
    const group = await findGroup(trx, groupId);
    if (!group) throw new Error(`Group ${groupId} vanished inside its own transaction`);
    return group;
  });
}
