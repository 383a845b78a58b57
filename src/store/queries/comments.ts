import type { Db } from '../db.js';
import type { Comment } from '../../domain/model.js';
import { inChunks } from './exportPlan.js';

export async function insertComment(db: Db, comment: Omit<Comment, 'id'>): Promise<number> {
  const { id } = await db
    .insertInto('comments')
    .values({ document_id: comment.documentId, field_id: comment.fieldId, author: comment.author, text: comment.text, created: comment.created })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** The comments on the given documents, oldest first. */
export async function commentsOfDocuments(db: Db, documentIds: number[]): Promise<Comment[]> {
  const rows = await inChunks(documentIds, (chunk) => db.selectFrom('comments').selectAll().where('document_id', 'in', chunk).execute());
  return rows
    .map((r) => ({ id: r.id, documentId: r.document_id, fieldId: r.field_id, author: r.author, text: r.text, created: r.created }))
    .sort((a, b) => a.created.localeCompare(b.created) || a.id - b.id);
}
