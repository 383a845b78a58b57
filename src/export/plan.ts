import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { azSortKey } from '../domain/azOrder.js';
import type { ExportRequest } from '../domain/exportJob.js';
import type { RecordKind } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import {
  childrenPage,
  discardPlan,
  insertPlanRows,
  linkedDocumentsOutside,
  markWalked,
  nextToWalk,
  ownerRecordsPage,
  plannedDocumentIds,
  planPages,
  planTotals,
  referencedFiles,
  planRowsPerStatement,
  refreshPlanStatistics,
  removeUnplacingFolders,
  type FileReference,
  type NewPlanRow,
  type PlanRecord,
} from '../store/queries/exportPlan.js';
import type { ExportPlan } from './archiveContents.js';
import { authoriseExport, exportable } from './authorise.js';

export { discardPlan };

/**
 * Records read at a time while planning, as many as are inserted at a time. Every row passes
 * through here once, for its A–Z key (azSortKey, which the database cannot compute); pages keep
 * that in bounded memory and each statement as short as planRowsPerStatement says.
 */
/** Documents whose links or files are read at a time (each may reference many). */
const documentPage = 1000;

function isContainer(kind: RecordKind): boolean {
  return kind === 'FOLDER' || kind === 'NOTEBOOK';
}

/** A record as the plan stores it: in its own folder, in the scope itself, not to be walked, unless told. */
function planRow(record: PlanRecord, extra: Partial<Pick<NewPlanRow, 'ownFolder' | 'linkLevel' | 'walk'>> = {}): NewPlanRow {
  return { record, ownFolder: true, linkLevel: 0, walk: 0, ...extra, sortKey: azSortKey(record.name) };
}

/**
 * Whether a record of the scope goes into the plan at first. An incremental export (`since`)
 * keeps only the documents and files modified at or after it, and every folder for now: the
 * folders that place none of them are removed once all are in (removeUnplacingFolders).
 */
export function keptAtFirst(record: PlanRecord, since: string | null): boolean {
  return since === null || isContainer(record.kind) || record.modified >= since;
}

/**
 * One step of a selection's walk: the records directly inside one of its folders. Those the
 * viewer may read go in (folders to be walked in turn); the others are skipped, and a folder
 * among them is walked all the same, as what it holds may be readable (then dropped).
 */
export function walkStep(viewer: Viewer, children: PlanRecord[], since: string | null): { rows: NewPlanRow[]; skipped: number } {
  const readable = new Set(exportable(viewer, children));
  const rows: NewPlanRow[] = [];
  for (const child of children) {
    const folder = isContainer(child.kind);
    if (!readable.has(child)) {
      if (folder) rows.push(planRow(child, { walk: 2 }));
    } else if (keptAtFirst(child, since)) {
      rows.push(planRow(child, { walk: folder ? 1 : 0 }));
    }
  }
  return { rows, skipped: children.length - readable.size };
}

/**
 * Where the files that some documents show go. Files are always in the archive when the viewer
 * may read them: one the plan lacks joins it, in its own folder when the export is of a whole
 * user or group, otherwise (`copied`) as a copy beside each document that shows it. The bytes
 * of those copies are counted once per document, as each is written once per document.
 */
export function placeReferencedFiles(viewer: Viewer, references: FileReference[], copied: boolean): { files: PlanRecord[]; copyBytes: number } {
  const unplanned = new Map<number, PlanRecord>();
  for (const { file, planned } of references) if (planned === null) unplanned.set(file.id, file);
  const files = exportable(viewer, [...unplanned.values()]);
  if (!copied) return { files, copyBytes: 0 };
  const joining = new Set(files.map((f) => f.id));
  const counted = new Set<string>();
  let copyBytes = 0;
  for (const { documentId, file, size, planned } of references) {
    const pair = `${documentId}:${file.id}`;
    if ((planned === 'copy' || joining.has(file.id)) && !counted.has(pair)) {
      counted.add(pair);
      copyBytes += size;
    }
  }
  return { files, copyBytes };
}

/**
 * Hands `use` each page of records that `page(after, limit)` returns, keyed by `id`, until a
 * short page. SQLite answers within the same turn of the event loop, so without the pause
 * between pages a plan of 100,000 documents held the loop (every API request) for seconds.
 */
async function byPages<T>(limit: number, page: (after: number, limit: number) => Promise<T[]>, id: (item: T) => number, use: (items: T[]) => Promise<void>): Promise<void> {
  for (let after = 0; ; ) {
    const items = await page(after, limit);
    // The read and what is done with it in turns of their own: two exports planned at once
    // otherwise added theirs up in one turn, 42–103 ms (bench responsive).
    await setImmediate();
    if (items.length) await use(items);
    if (items.length < limit) return;
    after = id(items[items.length - 1]!);
    await setImmediate();
  }
}

async function planOwners(db: Kysely<DB>, jobId: number, ownerIds: number[], since: string | null): Promise<void> {
  for (const ownerId of ownerIds) {
    await byPages(
      planRowsPerStatement(db),
      (after, limit) => ownerRecordsPage(db, ownerId, after, limit),
      (r) => r.id,
      (records) => insertPlanRows(db, jobId, records.filter((r) => keptAtFirst(r, since)).map((r) => planRow(r))),
    );
  }
}

/**
 * The selected records and, for folders and notebooks, everything inside them, walked folder by
 * folder with the plan itself as the list of folders still to walk. Returns how many records
 * inside were skipped.
 */
async function planSelection(db: Kysely<DB>, jobId: number, viewer: Viewer, selected: PlanRecord[], since: string | null): Promise<number> {
  const start = selected.filter((r) => keptAtFirst(r, since)).map((r) => planRow(r, { walk: isContainer(r.kind) ? 1 : 0 }));
  await insertPlanRows(db, jobId, start);
  let skipped = 0;
  for (;;) {
    const folder = await nextToWalk(db, jobId);
    if (!folder) return skipped;
    await byPages(
      planRowsPerStatement(db),
      (after, limit) => childrenPage(db, folder.id, after, limit),
      (r) => r.id,
      async (children) => {
        const step = walkStep(viewer, children, since);
        skipped += step.skipped;
        await insertPlanRows(db, jobId, step.rows);
      },
    );
    await markWalked(db, jobId, folder);
    // A selection of many small folders would otherwise be walked in one turn of the loop.
    await setImmediate();
  }
}

/** Documents linked from exported ones come along, up to `maxLinkLevel` links away, if the viewer may read them. */
async function planLinkedDocuments(db: Kysely<DB>, jobId: number, viewer: Viewer, maxLinkLevel: number): Promise<void> {
  for (let level = 1; level <= maxLinkLevel; level++) {
    let added = 0;
    const frontier = planPages(db, jobId, { limit: documentPage }, (range, limit) => plannedDocumentIds(db, jobId, level - 1, range, limit), (id) => id);
    for await (const ids of frontier) {
      const linked = exportable(viewer, await linkedDocumentsOutside(db, jobId, ids));
      await insertPlanRows(db, jobId, linked.map((r) => planRow(r, { linkLevel: level })));
      added += linked.length;
    }
    if (added === 0) return;
  }
}

/** Adds the files the plan's documents show (placeReferencedFiles); returns the bytes of the copies. */
async function planReferencedFiles(db: Kysely<DB>, jobId: number, viewer: Viewer, copied: boolean): Promise<number> {
  let copyBytes = 0;
  for await (const ids of planPages(db, jobId, { limit: documentPage }, (range, limit) => plannedDocumentIds(db, jobId, null, range, limit), (id) => id)) {
    const placed = placeReferencedFiles(viewer, await referencedFiles(db, jobId, ids), copied);
    await insertPlanRows(db, jobId, placed.files.map((r) => planRow(r, { ownFolder: !copied })));
    copyBytes += placed.copyBytes;
  }
  return copyBytes;
}

/**
 * Decides what goes into the archive of job `jobId`, from light rows (ids, names, parents), and
 * writes it to the job's plan in the database, replacing any an earlier attempt left; returns
 * the summary. Field content and file bytes are read later, a page at a time, by the builder.
 */
export async function planExport(db: Kysely<DB>, jobId: number, viewer: Viewer, request: ExportRequest): Promise<ExportPlan> {
  await discardPlan(db, jobId);
  // Asked again now, as at submission: what the owner may export is what they may export today.
  const target = await authoriseExport(db, viewer, request);
  const since = request.modifiedSince;
  let skipped = 0;
  if (target.scope === 'selection') skipped = target.skipped + (await planSelection(db, jobId, viewer, target.records, since));
  else await planOwners(db, jobId, target.owners.map((u) => u.id), since);
  // An incremental export keeps only what changed, and the folders that place it.
  if (since !== null) await removeUnplacingFolders(db, jobId);
  // Most rows are in by now; the reads below, and the builder's, are planned from what is.
  await refreshPlanStatistics(db);
  await planLinkedDocuments(db, jobId, viewer, request.maxLinkLevel);
  const copyBytes = await planReferencedFiles(db, jobId, viewer, request.scope === 'selection');
  const { ownFolderBytes, ...counts } = await planTotals(db, jobId);
  return {
    jobId,
    manifestScope: request.scope === 'user' ? 'USER' : request.scope === 'group' ? 'GROUP' : 'SELECTION',
    scopeLabel: target.label,
    users: target.scope === 'selection' ? [] : target.owners,
    counts: { ...counts, skipped },
    fileBytes: ownFolderBytes + copyBytes,
  };
}
