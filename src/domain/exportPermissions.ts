import { unauthorized } from './errors.js';
import type { Group, User } from './model.js';
import { groupsOverseenBy, isSysadmin, type Viewer } from './permissions.js';

/**
 * Who may export what (CONTRACT.md): anyone their own work; a PI or view-all lab admin each
 * member of a group they oversee, and that group; a sysadmin anyone and any group. A refusal is
 * RSpace's 401, which its clients rely on. The rules alone: authoriseExport (export/authorise.ts)
 * looks up the target and applies them, at submission and again at planning.
 */

function refusal(viewer: Viewer, owner: string): Error {
  return unauthorized(`Unauthorized attempt by ${viewer.user.username} to export records belonging to ${owner}`);
}

export function checkUserExport(viewer: Viewer, target: User): void {
  if (target.id === viewer.user.id || isSysadmin(viewer.user)) return;
  const oversees = groupsOverseenBy(viewer).some((g) => g.members.some((m) => m.userId === target.id));
  if (!oversees) throw refusal(viewer, target.username);
}

export function checkGroupExport(viewer: Viewer, group: Group): void {
  if (isSysadmin(viewer.user)) return;
  if (!groupsOverseenBy(viewer).some((g) => g.id === group.id)) throw refusal(viewer, `group ${group.name}`);
}

/** The group a PI means by a group export without an id: the first lab group they lead. */
export function defaultGroupOf(viewer: Viewer): Group {
  const led = viewer.groups.find(
    (g) => g.type === 'LAB_GROUP' && g.members.some((m) => m.userId === viewer.user.id && m.role === 'PI'),
  ) ?? groupsOverseenBy(viewer)[0];
  if (!led) throw unauthorized(`Unauthorized attempt by ${viewer.user.username} to export a group: they lead no lab group`);
  return led;
}
