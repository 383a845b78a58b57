import type { Db } from '../db.js';
import { isStorableId } from '../dialect.js';
import type { MediaFile, RecordRow } from '../../domain/model.js';
import { rowToRecord } from './records.js';

export async function insertMedia(db: Db, recordId: number, file: Omit<MediaFile, 'id'>): Promise<void> {
  await db
    .insertInto('media')
    .values({
      record_id: recordId,
      file_name: file.fileName,
      caption: file.caption,
      content_type: file.contentType,
      size: file.size,
      sha256: file.sha256,
      blob_key: file.blobKey,
    })
    .execute();
}

/** Live gallery files with their records, in id order; an id no row could have finds nothing. */
export async function findMediaFiles(db: Db, ids: number[]): Promise<{ record: RecordRow; file: MediaFile }[]> {
  const storable = ids.filter(isStorableId);
  if (storable.length === 0) return [];
  const rows = await db
    .selectFrom('media')
    .innerJoin('records', 'records.id', 'media.record_id')
    .selectAll()
    .where('media.record_id', 'in', storable)
    .where('records.deleted_at', 'is', null)
    .orderBy('records.id')
    .execute();
  return rows.map((row) => ({
    record: rowToRecord(row),
    file: {
      id: row.record_id,
      fileName: row.file_name,
      caption: row.caption,
      contentType: row.content_type,
      size: row.size,
      sha256: row.sha256,
      blobKey: row.blob_key,
    },
  }));
}

/** The owner's live gallery files holding any of these contents, one per sha256 (the oldest): what an import reuses. */
export async function ownFilesBySha256(db: Db, ownerId: number, sha256s: string[]): Promise<Map<string, { id: number; fileName: string; contentType: string }>> {
  const found = new Map<string, { id: number; fileName: string; contentType: string }>();
  for (let i = 0; i < sha256s.length; i += 900) {
    const rows = await db
      .selectFrom('media')
      .innerJoin('records', 'records.id', 'media.record_id')
      .select(['media.record_id', 'media.sha256', 'media.file_name', 'media.content_type'])
      .where('records.owner_id', '=', ownerId)
      .where('records.deleted_at', 'is', null)
      .where('media.sha256', 'in', sha256s.slice(i, i + 900))
      .orderBy('media.record_id')
      .execute();
    for (const row of rows) if (!found.has(row.sha256)) found.set(row.sha256, { id: row.record_id, fileName: row.file_name, contentType: row.content_type });
  }
  return found;
}
