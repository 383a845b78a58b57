import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import type { BlobStore, StoredBlob } from '../blobs/blobStore.js';
import { illegalArgument, invalidField, notFound } from '../domain/errors.js';
import type { MediaFile, RecordRow } from '../domain/model.js';
import { canRead, type Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import { findMediaFiles, insertMedia } from '../store/queries/media.js';
import { insertRecord } from '../store/queries/records.js';
import { writableRecord } from './access.js';

export interface GalleryFile {
  record: RecordRow;
  file: MediaFile;
}

/** The name a browser sent, without any path, control characters or leading dots. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim().slice(0, 255);
  return cleaned || 'file';
}

/**
 * The media type a client claimed, if it is one. Anything else is stored as plain bytes: a
 * control character in it would make every later download fail as an invalid header.
 */
export function safeContentType(type: string): string {
  return /^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}$/.test(type) ? type : 'application/octet-stream';
}

export interface Upload {
  fileName: string;
  contentType: string;
  caption?: string;
  folderId?: number;
}

/**
 * Records a file whose bytes are already in the blob store. If the record cannot be written
 * (bad folder, database failure) the blob is removed, so nothing is left half-added.
 */
export async function addGalleryFile(
  db: Kysely<DB>,
  blobs: BlobStore,
  viewer: Viewer,
  upload: Upload,
  blob: StoredBlob,
): Promise<GalleryFile> {
  try {
    const folder = await writableRecord(db, viewer, upload.folderId ?? viewer.user.galleryFolderId, ['FOLDER', 'NOTEBOOK']);
    if (folder.kind === 'NOTEBOOK') throw illegalArgument('Files go in a folder, not a notebook');
    // PostgreSQL refuses NUL in text, and no other control character but layout belongs in a caption.
    // eslint-disable-next-line no-control-regex
    const caption = (upload.caption ?? '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
    if (caption.length > 2000) throw invalidField('caption', caption.slice(0, 50), 'caption must be at most 2000 characters');
    const fileName = safeFileName(upload.fileName);
    const id = await db.transaction().execute(async (trx) => {
      const now = isoNow();
      const recordId = await insertRecord(trx, {
        kind: 'MEDIA',
        name: fileName,
        owner_id: viewer.user.id,
        parent_id: folder.id,
        created: now,
        modified: now,
        form_id: null,
        deleted_at: null,
      });
      await insertMedia(trx, recordId, {
        fileName,
        caption,
        contentType: safeContentType(upload.contentType),
        size: blob.size,
        sha256: blob.sha256,
        blobKey: blob.key,
      });
      return recordId;
    });
    return (await findMediaFiles(db, [id]))[0]!;
  } catch (error) {
    await blobs.delete(blob.key);
    throw error;
  }
}

/**
 * The files among `ids` the viewer may read, in id order. Every answer that shows a file's
 * metadata takes it from here, so a file reached through someone else's document is shown only
 * to those who could fetch it on its own (issue 7, item 3).
 */
export async function readableFiles(db: Db, viewer: Viewer, ids: number[]): Promise<GalleryFile[]> {
  return (await findMediaFiles(db, ids)).filter(({ record }) => canRead(viewer, record.ownerId));
}

/** One the viewer may not read answers exactly like one that does not exist. */
export async function getGalleryFile(db: Db, viewer: Viewer, id: number): Promise<GalleryFile> {
  const [found] = await readableFiles(db, viewer, [id]);
  if (!found) throw notFound('file', id);
  return found;
}
