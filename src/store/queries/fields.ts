import type { Db } from '../db.js';
import { sanitiserVersion, unknownSanitiserVersion } from '../../domain/fieldContent.js';
import type { FieldRowDb } from '../schema.js';
import type { Field } from '../../domain/model.js';

/** Everything but the search text, which only search reads: a field at the size limit carries as much again in it. */
const fieldColumns = ['id', 'document_id', 'name', 'type', 'column_index', 'content', 'sanitiser_version', 'modified'] as const;

export function rowToField(row: Omit<FieldRowDb, 'text'>): Field {
  return {
    id: row.id,
    documentId: row.document_id,
    name: row.name,
    type: row.type,
    columnIndex: row.column_index,
    content: row.content,
    sanitiserVersion: row.sanitiser_version,
    modified: row.modified,
  };
}

/**
 * Content reaches these two only from resolveFieldContents (content/references.ts), which
 * sanitises it with today's rules and makes its search text; they record that version beside it.
 */
export async function insertField(db: Db, field: Omit<Field, 'id' | 'sanitiserVersion'>, text: string): Promise<number> {
  const { id } = await db
    .insertInto('fields')
    .values({
      document_id: field.documentId,
      name: field.name,
      type: field.type,
      column_index: field.columnIndex,
      content: field.content,
      text,
      sanitiser_version: sanitiserVersion,
      modified: field.modified,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateFieldContent(db: Db, id: number, content: { html: string; text: string }, modified: string): Promise<void> {
  await db
    .updateTable('fields')
    .set({ content: content.html, text: content.text, sanitiser_version: sanitiserVersion, modified })
    .where('id', '=', id)
    .execute();
}

/** The fields of several documents at once, in column order. */
export async function fieldsOfDocuments(db: Db, documentIds: number[]): Promise<Field[]> {
  if (documentIds.length === 0) return [];
  const rows = await db
    .selectFrom('fields')
    .select(fieldColumns)
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

/** A kept version without its fields; `length` is the characters of its fields' JSON. */
export type KeptVersion = Omit<DocumentVersion, 'fields'> & { length: number };

export async function keptVersions(db: Db, documentId: number): Promise<KeptVersion[]> {
  const rows = await db
    .selectFrom('document_versions')
    .select((eb) => ['document_id', 'version', 'name', 'tags', 'modified', eb.fn<number | string>('length', ['fields_json']).as('length')])
    .where('document_id', '=', documentId)
    .orderBy('version')
    .execute();
  return rows.map((r) => ({ documentId: r.document_id, version: r.version, name: r.name, tags: r.tags, modified: r.modified, length: Number(r.length) }));
}

/** The fields of some kept versions of a document, by version. */
export async function keptVersionFields(db: Db, documentId: number, versions: number[]): Promise<Map<number, DocumentVersion['fields']>> {
  if (versions.length === 0) return new Map();
  const rows = await db
    .selectFrom('document_versions')
    .select(['version', 'fields_json'])
    .where('document_id', '=', documentId)
    .where('version', 'in', versions)
    .execute();
  return new Map(rows.map((r) => [
    r.version,
    (JSON.parse(r.fields_json) as (Omit<Field, 'documentId' | 'sanitiserVersion'> & { sanitiserVersion?: string })[])
      .map((f) => ({ ...f, sanitiserVersion: f.sanitiserVersion ?? unknownSanitiserVersion })),
  ]));
}

/** Characters of field content per document, so that large ones are read a few at a time. */
export async function contentLengths(db: Db, documentIds: number[]): Promise<Map<number, number>> {
  if (documentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('fields')
    .select((eb) => ['document_id', eb.fn.sum<number | string>(eb.fn('length', ['content'])).as('length')])
    .where('document_id', 'in', documentIds)
    .groupBy('document_id')
    .execute();
  return new Map(rows.map((r) => [r.document_id, Number(r.length)]));
}
