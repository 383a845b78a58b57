import type { Kysely } from 'kysely';
import type { Db } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { invalidField, notFound } from '../domain/errors.js';
import type { Field, Form, RecordRow, User } from '../domain/model.js';
import { readableOwners, type Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import {
  fieldsOfDocuments,
  fileIdsOfFields,
  insertDocumentVersion,
  insertField,
  replaceFieldReferences,
  updateFieldContent,
} from '../store/queries/fields.js';
import { findForm, findFormByName } from '../store/queries/forms.js';
import {
  countDocuments,
  deleteSubtree,
  documentsPage,
  findRecord,
  insertRecord,
  updateRecord,
  type Page,
  type SortOrder,
} from '../store/queries/records.js';
import { findUsersByIds } from '../store/queries/users.js';
import { readableRecord, writableRecord } from './access.js';
import { readableFiles, type GalleryFile } from './files.js';
import { validName } from './folders.js';
import { resolveFieldContents } from './references.js';

export interface DocumentView {
  record: RecordRow;
  owner: User;
  form: Form;
  /** Each field's files that the viewer may read; the rest are left out, as if not attached. */
  fields: (Field & { files: GalleryFile[] })[];
}

export interface NewDocument {
  name?: string;
  tags?: string;
  parentFolderId?: number;
  form?: { id: number };
  fields?: { name?: string; content?: string }[];
}

export interface DocumentChanges {
  name?: string;
  tags?: string;
  fields?: { id?: number; content?: string }[];
}

/** Tags are a comma-separated list; blanks and repeats are dropped. */
export function normaliseTags(tags: string | undefined): string | undefined {
  if (tags === undefined) return undefined;
  const list = [...new Set(tags.split(',').map((t) => t.trim()).filter(Boolean))];
  const joined = list.join(',');
  if (joined.length > 8000) throw invalidField('tags', tags, 'tags must be at most 8000 characters');
  return joined;
}

async function formFor(db: Kysely<DB>, requested: { id: number } | undefined): Promise<Form> {
  const form = requested ? await findForm(db, requested.id) : await findFormByName(db, 'Basic Document');
  if (!form) throw notFound('form', requested?.id ?? 'Basic Document');
  return form;
}

export async function createDocument(db: Kysely<DB>, viewer: Viewer, input: NewDocument): Promise<DocumentView> {
  const name = validName(input.name, 'Untitled document');
  const tags = normaliseTags(input.tags) ?? '';
  const parent = await writableRecord(db, viewer, input.parentFolderId ?? viewer.user.homeFolderId, ['FOLDER', 'NOTEBOOK']);
  const form = await formFor(db, input.form);
  const given = input.fields ?? [];
  if (given.length > form.fields.length) {
    throw invalidField('fields', given.length, `Form ${form.name} has ${form.fields.length} field(s); ${given.length} were given`);
  }
  const contents = await resolveFieldContents(db, viewer, form.fields.map((_f, i) => given[i]?.content ?? ''));
  return db.transaction().execute(async (trx) => {
    const now = isoNow();
    const documentId = await insertRecord(trx, {
      kind: 'DOCUMENT',
      name,
      owner_id: viewer.user.id,
      parent_id: parent.id,
      created: now,
      modified: now,
      tags,
      form_id: form.id,
      deleted_at: null,
    });
    for (const [columnIndex, definition] of form.fields.entries()) {
      const content = contents[columnIndex]!;
      const fieldId = await insertField(trx, {
        documentId,
        name: definition.name,
        type: definition.type,
        columnIndex,
        content: content.html,
        modified: now,
      }, content.text);
      await replaceFieldReferences(trx, fieldId, content.fileIds, content.documentIds);
    }
    return documentView(trx, viewer, (await findRecord(trx, documentId))!);
  });
}

async function documentView(db: Db, viewer: Viewer, record: RecordRow): Promise<DocumentView> {
  const [[owner], form, fields] = await Promise.all([
    findUsersByIds(db, [record.ownerId]),
    findForm(db, record.formId ?? 0),
    fieldsOfDocuments(db, [record.id]),
  ]);
  const links = await fileIdsOfFields(db, fields.map((f) => f.id));
  const files = await readableFiles(db, viewer, [...new Set(links.map((l) => l.fileId))]);
  return {
    record,
    owner: owner!,
    form: form ?? { id: 0, name: 'Unknown', fields: [] },
    fields: fields.map((field) => ({
      ...field,
      files: links.filter((l) => l.fieldId === field.id).flatMap((l) => files.filter((f) => f.record.id === l.fileId)),
    })),
  };
}

/** The record and its fields come from one snapshot, so a save in progress never shows half-done. */
export async function getDocument(db: Kysely<DB>, viewer: Viewer, id: number): Promise<DocumentView> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => documentView(trx, viewer, await readableRecord(trx, viewer, id, ['DOCUMENT'])));
}

/** Saves changes as a new version; the version it replaces is kept whole. */
export async function updateDocument(db: Kysely<DB>, viewer: Viewer, id: number, changes: DocumentChanges): Promise<DocumentView> {
  await writableRecord(db, viewer, id, ['DOCUMENT']);
  const name = changes.name === undefined ? undefined : validName(changes.name, 'Untitled document');
  const tags = normaliseTags(changes.tags);
  const current = await fieldsOfDocuments(db, [id]);
  const targets = (changes.fields ?? []).flatMap((change, position) => {
    const field = change.id === undefined ? current[position] : current.find((f) => f.id === change.id);
    if (!field) {
      throw invalidField('fields', change.id ?? position, change.id === undefined
        ? `Document ${id} has ${current.length} field(s); field ${position + 1} does not exist`
        : `Field ${change.id} does not belong to document ${id}`);
    }
    // A field named without content keeps what it holds when this save gets the lock, not what was read here.
    return change.content === undefined ? [] : [{ field, content: change.content }];
  });
  const contents = await resolveFieldContents(db, viewer, targets.map((t) => t.content));
  return db.transaction().execute(async (trx) => {
    // Bumping the version first takes the row's write lock, so concurrent saves queue up
    // and each one snapshots the version it really replaces.
    const bumped = await trx
      .updateTable('records')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returning('version')
      .executeTakeFirst();
    if (!bumped) throw notFound('document', id);
    const { version } = bumped;
    const before = (await findRecord(trx, id))!;
    const fields = await fieldsOfDocuments(trx, [id]);
    await insertDocumentVersion(trx, {
      documentId: id,
      version: version - 1,
      name: before.name,
      tags: before.tags,
      modified: before.modified,
      fields: fields.map(({ documentId: _d, ...f }) => f),
    });
    const now = isoNow();
    for (const [i, target] of targets.entries()) {
      const content = contents[i]!;
      await updateFieldContent(trx, target.field.id, content, now);
      await replaceFieldReferences(trx, target.field.id, content.fileIds, content.documentIds);
    }
    await updateRecord(trx, id, { name, tags, modified: now });
    // Read back before committing: the next queued save may change it the moment this commits.
    return documentView(trx, viewer, (await findRecord(trx, id))!);
  });
}

export async function deleteDocument(db: Kysely<DB>, viewer: Viewer, id: number): Promise<void> {
  await writableRecord(db, viewer, id, ['DOCUMENT']);
  await deleteSubtree(db, id, isoNow());
}

export async function listDocuments(
  db: Kysely<DB>,
  viewer: Viewer,
  query: string | null,
  order: SortOrder,
  page: Page,
): Promise<{ totalHits: number; documents: { record: RecordRow; owner: User; form: Form | undefined }[] }> {
  const filter = { owners: readableOwners(viewer), query };
  const [totalHits, records] = await Promise.all([countDocuments(db, filter), documentsPage(db, filter, order, page)]);
  const owners = await findUsersByIds(db, [...new Set(records.map((r) => r.ownerId))]);
  const forms = new Map<number, Form | undefined>();
  for (const formId of new Set(records.map((r) => r.formId ?? 0))) forms.set(formId, await findForm(db, formId));
  return {
    totalHits,
    documents: records.map((record) => ({
      record,
      owner: owners.find((o) => o.id === record.ownerId)!,
      form: forms.get(record.formId ?? 0),
    })),
  };
}

