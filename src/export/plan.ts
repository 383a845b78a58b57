import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import type { ExportRequest } from '../domain/exportJob.js';
import type { User } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import {
  descendantsOf,
  linkTargets,
  mediaSizes,
  planRecordsById,
  recordsOfOwners,
  referencedFiles,
  type PlanRecord,
} from '../store/queries/exportPlan.js';
import { authoriseExport, exportable } from './authorise.js';

/**
 * What goes into one archive, decided from light rows (ids, names, parents) before anything is
 * rendered. Field content and file bytes are read later, a page at a time, by the builder.
 */
export interface ExportPlan {
  manifestScope: 'USER' | 'GROUP' | 'SELECTION';
  /** The user's or group's name, the single record's name, or SELECTION (for the archive name). */
  scopeLabel: string;
  /** The users whose work is exported (users.xml); empty for a selection. */
  users: User[];
  /** Every record in the archive: folders, notebooks, documents, and files with their own folder. */
  records: Map<number, PlanRecord>;
  /** Sets in id order. */
  documents: Set<number>;
  folders: Set<number>;
  /** Files stored once in their own media_ folder. */
  files: Set<number>;
  /** Files referenced by a document but not in the archive on their own: copied into that document's folder. */
  copies: Map<number, number[]>;
  fileSizes: Map<number, number>;
  skipped: number;
}

const byId = (a: number, b: number) => a - b;

/** Adds the ancestors of `ids` that are among `known` to `into`: the folders needed to place them. */
function withAncestors(ids: Iterable<number>, known: Map<number, PlanRecord>, into: Set<number>): void {
  for (const id of ids) {
    let parent = known.get(id)?.parentId ?? null;
    while (parent !== null && !into.has(parent) && known.has(parent)) {
      into.add(parent);
      parent = known.get(parent)!.parentId;
    }
  }
}

export async function planExport(db: Kysely<DB>, viewer: Viewer, request: ExportRequest): Promise<ExportPlan> {
  const records = new Map<number, PlanRecord>();
  const documents = new Set<number>();
  const folders = new Set<number>();
  const files = new Set<number>();
  let skipped = 0;
  let users: User[] = [];
  const since = request.modifiedSince;

  const take = (r: PlanRecord) => {
    records.set(r.id, r);
    if (r.kind === 'DOCUMENT') documents.add(r.id);
    else if (r.kind === 'MEDIA') files.add(r.id);
    else folders.add(r.id);
  };
  // An incremental export keeps only what changed, and the folders that place it.
  const include = (candidates: PlanRecord[]) => {
    if (since === null) return candidates.forEach(take);
    const known = new Map(candidates.map((r) => [r.id, r]));
    for (const r of candidates) if ((r.kind === 'DOCUMENT' || r.kind === 'MEDIA') && r.modified >= since) take(r);
    const needed = new Set<number>();
    withAncestors([...documents, ...files], known, needed);
    for (const id of needed) take(known.get(id)!);
  };

  // Asked again now, as at submission: what the owner may export is what they may export today.
  const target = await authoriseExport(db, viewer, request);
  if (target.scope === 'selection') {
    skipped += target.skipped;
    const containers = target.records.filter((r) => r.kind === 'FOLDER' || r.kind === 'NOTEBOOK');
    const inside = await descendantsOf(db, containers.map((r) => r.id));
    const insideReadable = exportable(viewer, inside);
    skipped += inside.length - insideReadable.length;
    include([...target.records, ...insideReadable]);
  } else {
    users = target.owners;
    include(await recordsOfOwners(db, users.map((u) => u.id)));
  }

  // Documents linked from exported ones come along, up to maxLinkLevel links away.
  let frontier = [...documents];
  for (let level = 1; level <= request.maxLinkLevel && frontier.length; level++) {
    const targets = [...new Set((await linkTargets(db, frontier)).map((l) => l.to))].filter((id) => !documents.has(id));
    const found = await planRecordsById(db, targets);
    frontier = [];
    for (const r of exportable(viewer, found)) {
      if (r.kind === 'DOCUMENT') {
        take(r);
        frontier.push(r.id);
      }
    }
  }

  // Files that documents show are always in the archive: in their own folder when the export is
  // of a whole user or group, otherwise copied beside each document that shows them.
  const references = await referencedFiles(db, [...documents]);
  const missing = [...new Set(references.map((r) => r.fileId))].filter((id) => !files.has(id));
  const readableFiles = new Set(
    exportable(viewer, await planRecordsById(db, missing)).filter((r) => r.kind === 'MEDIA').map((r) => {
      if (request.scope !== 'selection') take(r);
      else records.set(r.id, r);
      return r.id;
    }),
  );
  const copies = new Map<number, number[]>();
  if (request.scope === 'selection') {
    for (const { documentId, fileId } of references) {
      if (!readableFiles.has(fileId)) continue;
      const list = copies.get(documentId) ?? [];
      if (!list.includes(fileId)) list.push(fileId);
      copies.set(documentId, list);
    }
  }

  const fileSizes = await mediaSizes(db, [...files, ...readableFiles]);
  return {
    manifestScope: request.scope === 'user' ? 'USER' : request.scope === 'group' ? 'GROUP' : 'SELECTION',
    scopeLabel: target.label,
    users,
    records,
    documents: new Set([...documents].sort(byId)),
    folders: new Set([...folders].sort(byId)),
    files: new Set([...files].sort(byId)),
    copies,
    fileSizes,
    skipped,
  };
}
