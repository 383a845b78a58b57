import type { Db } from '../store/db.js';
import { notFound, unauthorized } from '../domain/errors.js';
import { checkGroupExport, checkUserExport, defaultGroupOf } from '../domain/exportPermissions.js';
import type { ExportRequest } from '../domain/exportJob.js';
import type { User } from '../domain/model.js';
import { canRead, type Viewer } from '../domain/permissions.js';
import { findGroup } from '../store/queries/groups.js';
import { findUsersByIds } from '../store/queries/users.js';
import { planRecordsById, type PlanRecord } from '../store/queries/exportPlan.js';

/** What an export may take, as the exporter's permissions stand now. */
export type ExportTarget =
  | {
      scope: 'user' | 'group';
      /** Whose work is exported, in id order. */
      owners: User[];
      /** The user's or the group's name (for the archive name). */
      label: string;
    }
  | {
      scope: 'selection';
      /** The selected records the exporter may read: never empty. */
      records: PlanRecord[];
      /** Selected ids that do not exist or may not be read. */
      skipped: number;
      /** The single record's name, or SELECTION. */
      label: string;
    };

/** The records an export may include of those it reaches (inside a folder, by a link, as an attachment). */
export function exportable<R extends { ownerId: number }>(viewer: Viewer, records: R[]): R[] {
  return records.filter((r) => canRead(viewer, r.ownerId));
}

/**
 * Who may export what, decided once (CONTRACT.md "Who may export what"). The API asks when a job
 * is submitted and the planner again when it runs, so permission lost in between (a PI who left
 * the group, a disabled account, a record no longer readable) refuses the job instead of
 * exporting what its owner may no longer read.
 */
export async function authoriseExport(
  db: Db,
  viewer: Viewer,
  request: Pick<ExportRequest, 'scope' | 'targetId' | 'selections'>,
): Promise<ExportTarget> {
  if (!viewer.user.enabled) throw unauthorized(`The account ${viewer.user.username} is disabled`);
  if (request.scope === 'selection') {
    const records = exportable(viewer, await planRecordsById(db, request.selections));
    if (records.length === 0) throw unauthorized(`None of the selected records exist or may be exported by ${viewer.user.username}`);
    const label = records.length === 1 && request.selections.length === 1 ? records[0]!.name : 'SELECTION';
    return { scope: 'selection', records, skipped: request.selections.length - records.length, label };
  }
  if (request.scope === 'user') {
    const targetId = request.targetId ?? viewer.user.id;
    const [target] = await findUsersByIds(db, [targetId]);
    if (!target) throw notFound('user', targetId);
    checkUserExport(viewer, target);
    return { scope: 'user', owners: [target], label: target.username };
  }
  const group = request.targetId === null ? defaultGroupOf(viewer) : await findGroup(db, request.targetId);
  if (!group) throw notFound('group', request.targetId ?? 0);
  checkGroupExport(viewer, group);
  const owners = await findUsersByIds(db, group.members.map((m) => m.userId));
  return { scope: 'group', owners: owners.sort((a, b) => a.id - b.id), label: group.name };
}
