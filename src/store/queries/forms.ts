import type { Db } from '../db.js';
import type { Form, FormFieldDefinition } from '../../domain/model.js';
import { isStorableId } from '../dialect.js';

export async function findForm(db: Db, id: number): Promise<Form | undefined> {
  if (!isStorableId(id)) return undefined;
  const row = await db.selectFrom('forms').selectAll().where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, name: row.name, fields: JSON.parse(row.fields_json) as FormFieldDefinition[] };
}

export async function findFormByName(db: Db, name: string): Promise<Form | undefined> {
  const row = await db.selectFrom('forms').select('id').where('name', '=', name).orderBy('id').executeTakeFirst();
  return row && findForm(db, row.id);
}

export async function insertForm(db: Db, form: Omit<Form, 'id'>, created: string): Promise<number> {
  const { id } = await db
    .insertInto('forms')
    .values({ name: form.name, fields_json: JSON.stringify(form.fields), created })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}
