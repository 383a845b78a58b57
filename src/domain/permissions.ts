import type { Group, User } from './model.js';

/**
 * Who may read whose work (CONTRACT.md): the owner; the PI and view-all lab admins of a lab
 * group the owner belongs to; a sysadmin. Writing is for the owner alone.
 */
export interface Viewer {
  user: User;
  /** The lab groups the viewer belongs to, with their members. */
  groups: Group[];
}

export function isSysadmin(user: User): boolean {
  return user.role === 'ROLE_SYSADMIN';
}

/**
 * The lab groups in which the viewer may read every member's work. A project group grants no
 * such read, to its GROUP_OWNERs or anyone: the contract's read rule names lab groups alone.
 */
export function groupsOverseenBy(viewer: Viewer): Group[] {
  return viewer.groups.filter(
    (group) =>
      group.type === 'LAB_GROUP' &&
      group.members.some(
        (m) => m.userId === viewer.user.id && (m.role === 'PI' || (m.role === 'RS_LAB_ADMIN' && m.viewAll)),
      ),
  );
}

/** The owners whose records the viewer may read, or 'all' for a sysadmin. */
export function readableOwners(viewer: Viewer): 'all' | number[] {
  if (isSysadmin(viewer.user)) return 'all';
  const owners = new Set([viewer.user.id]);
  for (const group of groupsOverseenBy(viewer)) for (const m of group.members) owners.add(m.userId);
  return [...owners].sort((a, b) => a - b);
}

export function canRead(viewer: Viewer, ownerId: number): boolean {
  const owners = readableOwners(viewer);
  return owners === 'all' || owners.includes(ownerId);
}

export function canWrite(viewer: Viewer, ownerId: number): boolean {
  return viewer.user.id === ownerId;
}
