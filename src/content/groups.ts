import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { illegalArgument, invalidField } from '../domain/errors.js';
import { groupRoles, groupTypes, type Group, type GroupRole, type GroupType } from '../domain/model.js';
import { isoNow } from '../domain/time.js';
import { findGroup, insertGroup, insertGroupMembers, setGroupSharedFolder } from '../store/queries/groups.js';
import { insertRecord } from '../store/queries/records.js';
import { findUsersByUsernames } from '../store/queries/users.js';

export interface NewGroup {
  displayName: string;
  /** LAB_GROUP unless given, as in RSpace. */
  type?: GroupType;
  members: { username: string; roleInGroup: GroupRole; viewAll?: boolean }[];
}

/** RSpace's bounds on a group's members when it is created. */
const maxMembers = 20;

/**
 * The rules on who holds which role, as RSpace has them: a lab group has exactly one PI and no
 * GROUP_OWNER; a project group's owners are GROUP_OWNERs. A project group needs no owner
 * (CONTRACT.md asks a PI of lab groups only), and a PI in it oversees nothing (permissions.ts).
 */
function checkRoles(type: GroupType, members: NewGroup['members']): void {
  if (type !== 'LAB_GROUP') return;
  const pis = members.filter((m) => m.roleInGroup === 'PI');
  if (pis.length !== 1) {
    throw illegalArgument(`A lab group needs exactly one member with roleInGroup PI; got ${pis.length}`);
  }
  const owners = members.filter((m) => m.roleInGroup === 'GROUP_OWNER');
  if (owners.length) {
    throw illegalArgument(
      `A lab group has a PI, not a GROUP_OWNER (a project group's role): ${owners.map((m) => m.username).join(', ')}`,
    );
  }
}

function validate(input: NewGroup): { name: string; type: GroupType } {
  const name = input.displayName.trim();
  if (!name || name.length > 255) throw invalidField('displayName', input.displayName, 'displayName must be 1–255 characters');
  const type = input.type ?? 'LAB_GROUP';
  if (!groupTypes.includes(type)) throw invalidField('type', type, `type must be one of ${groupTypes.join(', ')}`);
  // Without a member there is nobody to own the shared folder.
  if (input.members.length < 1 || input.members.length > maxMembers) {
    throw invalidField('members', input.members.length, `A group must have 1 to ${maxMembers} members; got ${input.members.length}`);
  }
  for (const m of input.members) {
    if (!groupRoles.includes(m.roleInGroup)) {
      throw invalidField('members.roleInGroup', m.roleInGroup, `roleInGroup must be one of ${groupRoles.join(', ')}`);
    }
  }
  const usernames = input.members.map((m) => m.username);
  if (new Set(usernames).size !== usernames.length) throw illegalArgument('A user is listed twice in members');
  checkRoles(type, input.members);
  return { name, type };
}

/** Creates a group and its shared folder in its own transaction. */
export async function createGroup(db: Kysely<DB>, input: NewGroup): Promise<Group> {
  return db.transaction().execute((trx) => createGroupWithin(trx, input));
}

/**
 * Creates a group and its shared folder inside the caller's transaction (a user and the lab
 * group made for them commit together). A PI must hold the PI role.
 */
export async function createGroupWithin(trx: Db, input: NewGroup): Promise<Group> {
  const { name, type } = validate(input);
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
