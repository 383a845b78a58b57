import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { notFound, unauthorized } from '../domain/errors.js';
import type { RecordKind, RecordRow, User } from '../domain/model.js';
import { canRead, canWrite, type Viewer } from '../domain/permissions.js';
import { groupsOfUser } from '../store/queries/groups.js';
import { findRecord } from '../store/queries/records.js';

export async function loadViewer(db: Kysely<DB>, user: User): Promise<Viewer> {
  return { user, groups: await groupsOfUser(db, user.id) };
}

const kindNames: Record<RecordKind, string> = {
  FOLDER: 'folder',
  NOTEBOOK: 'notebook',
  DOCUMENT: 'document',
  MEDIA: 'file',
};

/**
 * A record the viewer may read. One the viewer may not read answers exactly like one that does
 * not exist, so a refusal reveals nothing.
 */
export async function readableRecord(db: Db, viewer: Viewer, id: number, kinds: RecordKind[]): Promise<RecordRow> {
  const record = await findRecord(db, id);
  if (!record || !kinds.includes(record.kind) || !canRead(viewer, record.ownerId)) {
    throw notFound(kinds.map((k) => kindNames[k]).join(' or '), id);
  }
  return record;
}

/** A record the viewer owns; one they may only read is refused with 401, as RSpace does. */
export async function writableRecord(db: Db, viewer: Viewer, id: number, kinds: RecordKind[]): Promise<RecordRow> {
  const record = await readableRecord(db, viewer, id, kinds);
  if (!canWrite(viewer, record.ownerId)) {
    throw unauthorized(`${viewer.user.username} may read ${kindNames[record.kind]} ${id} but not change it`);
  }
  return record;
}
