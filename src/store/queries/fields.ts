import type { Db } from '../db.js';
import { plainText } from '../../domain/fieldContent.js';
import type { FieldRowDb } from '../schema.js';
import type { Field } from '../../domain/model.js';

export function rowToField(row: FieldRowDb): Field {
  return {
    id: row.id,
    documentId: row.document_id,
    name: row.name,
    type: row.type,
    columnIndex: row.column_index,
    content: row.content,
    modified: row.modified,
  };
}

export async function insertField(db: Db, field: Omit<Field, 'id'>): Promise<number> {
  const { id } = await db
    .insertInto('fields')
    .values({
      document_id: field.documentId,
      name: field.name,
      type: field.type,
      column_index: field.columnIndex,
      content: field.content,
      text: plainText(field.content),
      modified: field.modified,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateFieldContent(db: Db, id: number, content: string, modified: string): Promise<void> {
  await db.updateTable('fields').set({ content, text: plainText(content), modified }).where('id', '=', id).execute();
}

/** The fields of several documents at once, in column order. */
export async function fieldsOfDocuments(db: Db, documentIds: number[]): Promise<Field[]> {
  if (documentIds.length === 0) return [];
  const rows = await db
    .selectFrom('fields')
    .selectAll()
    .where('document_id', 'in', documentIds)
    .orderBy('document_id')
    .orderBy('column_index')
    .execute();
  return rows.map(rowToField);
}

/** Records what a field's content references; the export follows these rows. */
export async function replaceFieldReferences(db: Db, fieldId: number, fileIds: number[], documentIds: number[]): Promise<void> {
  await db.deleteFrom('field_files').where('field_id', '=', fieldId).execute();
  await db.deleteFrom('field_links').where('field_id', '=', fieldId).execute();
  if (fileIds.length) {
    await db.insertInto('field_files').values(fileIds.map((file_id) => ({ field_id: fieldId, file_id }))).execute();
  }
  if (documentIds.length) {
    await db.insertInto('field_links').values(documentIds.map((target_id) => ({ field_id: fieldId, target_id }))).execute();
  }
}

export async function fileIdsOfFields(db: Db, fieldIds: number[]): Promise<{ fieldId: number; fileId: number }[]> {
  if (fieldIds.length === 0) return [];
  const rows = await db
    .selectFrom('field_files')
    .select(['field_id', 'file_id'])
    .where('field_id', 'in', fieldIds)
    .orderBy('field_id')
    .orderBy('file_id')
    .execute();
  return rows.map((r) => ({ fieldId: r.field_id, fileId: r.file_id }));
}

export interface DocumentVersion {
  documentId: number;
  version: number;
  name: string;
  tags: string;
  modified: string;
  fields: Omit<Field, 'documentId'>[];
}

export async function insertDocumentVersion(db: Db, version: DocumentVersion): Promise<void> {
  await db
    .insertInto('document_versions')
    .values({
      document_id: version.documentId,
      version: version.version,
      name: version.name,
      tags: version.tags,
      modified: version.modified,
      fields_json: JSON.stringify(version.fields),
    })
    .execute();
}

export async function documentVersions(db: Db, documentId: number): Promise<DocumentVersion[]> {
  const rows = await db
    .selectFrom('document_versions')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    documentId: r.document_id,
    version: r.version,
    name: r.name,
    tags: r.tags,
    modified: r.modified,
    fields: JSON.parse(r.fields_json) as DocumentVersion['fields'],
  }));
}
