import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { illegalArgument, invalidField } from '../domain/errors.js';
import type { RecordKind, RecordRow } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import {
  childrenPage,
  countChildren,
  deleteSubtree,
  findRecord,
  insertRecord,
  type Page,
  type SortOrder,
} from '../store/queries/records.js';
import { readableRecord, writableRecord } from './access.js';

export function validName(name: string | undefined, fallback: string): string {
  const trimmed = (name ?? '').trim() || fallback;
  if (trimmed.length > 255) throw invalidField('name', name, 'name must be at most 255 characters');
  return trimmed;
}

export async function createFolder(
  db: Kysely<DB>,
  viewer: Viewer,
  input: { name: string; parentFolderId?: number; notebook?: boolean },
): Promise<RecordRow> {
  const name = validName(input.name, '');
  if (!name) throw invalidField('name', input.name, 'name must not be empty');
  const parentId = input.parentFolderId ?? viewer.user.homeFolderId;
  const parent = await writableRecord(db, viewer, parentId, ['FOLDER', 'NOTEBOOK']);
  if (parent.kind === 'NOTEBOOK') throw illegalArgument('A notebook holds documents only, not folders or notebooks');
  const created = isoNow();
  const id = await insertRecord(db, {
    kind: input.notebook ? 'NOTEBOOK' : 'FOLDER',
    name,
    owner_id: viewer.user.id,
    parent_id: parent.id,
    created,
    modified: created,
    form_id: null,
    deleted_at: null,
  });
  return (await findRecord(db, id))!;
}

export function getFolder(db: Kysely<DB>, viewer: Viewer, id: number): Promise<RecordRow> {
  return readableRecord(db, viewer, id, ['FOLDER', 'NOTEBOOK']);
}

/** Deletes a folder or notebook and all it holds. A user's own root folders stay. */
export async function deleteFolder(db: Kysely<DB>, viewer: Viewer, id: number): Promise<void> {
  const folder = await writableRecord(db, viewer, id, ['FOLDER', 'NOTEBOOK']);
  if (folder.parentId === null) throw illegalArgument(`Folder ${id} is a root folder and cannot be deleted`);
  await deleteSubtree(db, id, isoNow());
}

export interface Listing {
  totalHits: number;
  records: RecordRow[];
}

export async function folderTree(
  db: Kysely<DB>,
  viewer: Viewer,
  folderId: number | undefined,
  kinds: RecordKind[],
  order: SortOrder,
  page: Page,
): Promise<{ folder: RecordRow } & Listing> {
  const folder = await getFolder(db, viewer, folderId ?? viewer.user.homeFolderId);
  const [totalHits, records] = await Promise.all([
    countChildren(db, folder.id, kinds),
    childrenPage(db, folder.id, kinds, order, page),
  ]);
  return { folder, totalHits, records };
}

/** A folder of the viewer's to import an archive into: not a notebook, which could not hold the archive's folders. */
export async function importFolder(db: Db, viewer: Viewer, id: number): Promise<RecordRow> {
  const folder = await writableRecord(db, viewer, id, ['FOLDER', 'NOTEBOOK']);
  if (folder.kind === 'NOTEBOOK') throw illegalArgument('An import goes into a folder, not a notebook: its folders could not sit in one');
  return folder;
}
