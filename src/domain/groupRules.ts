import { illegalArgument, invalidField } from './errors.js';
import { groupRoles, groupTypes, type GroupRole, type GroupType } from './model.js';

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

/** The new group's trimmed name and its type, once its members and their roles pass RSpace's rules. */
export function validNewGroup(input: NewGroup): { name: string; type: GroupType } {
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

