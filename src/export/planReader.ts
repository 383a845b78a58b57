import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { documentFolder, folderPage } from '../domain/archiveNames.js';
import type { ExportFile, ExportFolder, ExportManifest, ExportUser } from '../domain/exportModel.js';
import type { RecordKind, User } from '../domain/model.js';
import { crateEntityPages, planOwnerIds } from '../store/queries/crateEntities.js';
import { findMediaFiles } from '../store/queries/media.js';
import { findUsersByIds } from '../store/queries/users.js';
import {
  planPage,
  planPages,
  planPageByName,
  plannedFolders,
  plannedRecords,
  type PlanFolderRow,
  type PlanRow,
  type PlanSelection,
} from '../store/queries/exportPlan.js';
import type { ExportPlan, IndexedItem, ListedDocument, PlanLookup, PlannedRecord } from './archiveContents.js';
import type { CrateContents } from './eln/crateMetadata.js';
import { exportFile } from './load.js';

/** Rows read at a time by the listing pages' iterators. */
const readPage = 500;

const containers: RecordKind[] = ['FOLDER', 'NOTEBOOK'];

/** A folder or notebook of the plan as folder pages and folderTree.xml show it. */
function exportFolder(row: PlanFolderRow): ExportFolder {
  const treeType =
    row.kind === 'NOTEBOOK'
      ? 'NOTEBOOK'
      : row.ownerHomeFolderId === row.id
        ? 'FOLDER:ROOT'
        : row.ownerGalleryFolderId === row.id
          ? 'FOLDER:SYSTEM:ROOT_MEDIA'
          : 'FOLDER';
  return {
    id: row.id,
    name: row.name,
    kind: row.kind === 'NOTEBOOK' ? 'NOTEBOOK' : 'FOLDER',
    treeType,
    parentId: row.archiveParentId,
    ownerUsername: row.ownerUsername,
    created: row.created,
    modified: row.modified,
    pagePath: folderPage(row.name, row.id),
  };
}

function listedDocument(row: PlanRow): ListedDocument {
  return { id: row.id, name: row.name, folder: documentFolder(row.name, row.id), modified: row.modified };
}

function exportUser({ id, username, email, firstName, lastName, role, affiliation }: User): ExportUser {
  return { id, username, email, firstName, lastName, role, affiliation };
}

/** Iterable as often as asked, each time reading afresh. */
function iterable<T>(items: () => AsyncGenerator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: items };
}

/**
 * One job's plan as the builder and the listing pages read it: looked up by id, or walked a page
 * at a time by keyset (id order, or A–Z order), so nothing of it is held whole.
 */
export class PlanReader implements PlanLookup, CrateContents {
  readonly users: ExportUser[];

  constructor(
    private readonly db: Kysely<DB>,
    private readonly plan: ExportPlan,
    readonly manifest: ExportManifest,
  ) {
    this.users = plan.users.map(exportUser);
  }

  async lookup(ids: readonly number[]): Promise<Map<number, PlannedRecord>> {
    return new Map((await plannedRecords(this.db, this.plan.jobId, ids)).map((r) => [r.id, r]));
  }

  private pages(selection: PlanSelection, size: number): AsyncGenerator<PlanRow[]> {
    const parent = typeof selection.parent === 'number' ? selection.parent : undefined;
    return planPages(this.db, this.plan.jobId, { parent, limit: size }, (range, limit) => planPage(this.db, this.plan.jobId, selection, range, limit), (r) => r.id);
  }

  /** The plan's documents, in id order. */
  documentPages(size: number): AsyncGenerator<PlannedRecord[]> {
    return this.pages({ kinds: ['DOCUMENT'] }, size);
  }

  /** The plan's files that have their own media_ folder, in id order. */
  filePages(size: number): AsyncGenerator<PlannedRecord[]> {
    return this.pages({ kinds: ['MEDIA'], ownFolder: true }, size);
  }

  private async toFolders(rows: PlanRow[]): Promise<ExportFolder[]> {
    const ids = rows.filter((r) => containers.includes(r.kind)).map((r) => r.id);
    return ids.length ? (await plannedFolders(this.db, this.plan.jobId, ids)).map(exportFolder) : [];
  }

  /** Files as their pages show them; one deleted since it was planned is left out, as the builder leaves it out. */
  private async toFiles(rows: PlanRow[]): Promise<ExportFile[]> {
    const media = await findMediaFiles(this.db, rows.filter((r) => r.kind === 'MEDIA' && r.ownFolder).map((r) => r.id));
    if (media.length === 0) return [];
    const owners = await findUsersByIds(this.db, [...new Set(media.map((m) => m.record.ownerId))]);
    const username = new Map(owners.map((u) => [u.id, u.username]));
    return media.map(({ record, file }) => exportFile(record, file, username.get(record.ownerId) ?? '', true));
  }

  private async *foldersWhere(parent?: number | null): AsyncGenerator<ExportFolder> {
    for await (const page of this.pages({ kinds: containers, parent }, readPage)) yield* await this.toFolders(page);
  }

  private async *documentsWhere(parent: number | null): AsyncGenerator<ListedDocument> {
    for await (const page of this.pages({ kinds: ['DOCUMENT'], parent }, readPage)) yield* page.map(listedDocument);
  }

  private async *filesWhere(parent?: number | null): AsyncGenerator<ExportFile> {
    for await (const page of this.pages({ kinds: ['MEDIA'], ownFolder: true, parent }, readPage)) yield* await this.toFiles(page);
  }

  folders(): AsyncIterable<ExportFolder> {
    return iterable(() => this.foldersWhere());
  }

  files(): AsyncIterable<ExportFile> {
    return iterable(() => this.filesWhere());
  }

  async owners(): Promise<ExportUser[]> {
    return (await findUsersByIds(this.db, await planOwnerIds(this.db, this.plan.jobId))).map(exportUser);
  }

  private async *storedEntities(): AsyncGenerator<string> {
    for await (const page of crateEntityPages(this.db, this.plan.jobId, readPage)) yield* page;
  }

  documentEntities(): AsyncIterable<string> {
    return iterable(() => this.storedEntities());
  }

  async folder(id: number): Promise<ExportFolder | undefined> {
    const [row] = await plannedFolders(this.db, this.plan.jobId, [id]);
    return row && exportFolder(row);
  }

  folderContents(folderId: number | null): { folders: AsyncIterable<ExportFolder>; documents: AsyncIterable<ListedDocument>; files: AsyncIterable<ExportFile> } {
    return {
      folders: iterable(() => this.foldersWhere(folderId)),
      documents: iterable(() => this.documentsWhere(folderId)),
      files: iterable(() => this.filesWhere(folderId)),
    };
  }

  private async *itemsByName(): AsyncGenerator<IndexedItem> {
    for (let after: { sortKey: string; id: number } | null = null; ; ) {
      const page = await planPageByName(this.db, this.plan.jobId, after, readPage);
      const folders = new Map((await this.toFolders(page)).map((f) => [f.id, f]));
      const files = new Map((await this.toFiles(page)).map((f) => [f.id, f]));
      for (const row of page) {
        const folder = folders.get(row.id);
        const file = files.get(row.id);
        if (row.kind === 'DOCUMENT') yield { type: 'document', document: listedDocument(row) };
        else if (folder) yield { type: 'folder', folder };
        else if (file) yield { type: 'file', file };
      }
      if (page.length < readPage) return;
      const last = page[page.length - 1]!;
      after = { sortKey: last.sortKey, id: last.id };
      // SQLite answers within one turn of the event loop: without this the index held it whole.
      await setImmediate();
    }
  }

  byName(): AsyncIterable<IndexedItem> {
    return iterable(() => this.itemsByName());
  }
}
