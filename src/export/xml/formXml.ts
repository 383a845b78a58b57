import type { ExportDocument } from '../../domain/exportModel.js';
import { element, xmlDocument } from './xmlTree.js';

/** RSpace names form field types in title case (`Text`, `Date`) where fields say `TEXT`. */
function formFieldType(type: string): string {
  return type.charAt(0).toUpperCase() + type.slice(1).toLowerCase();
}

/**
 * `doc_<Name>-<id>_form.xml`, in the order of RSpace's `archivalForm`. Forms in elnport are not
 * versioned and carry no dates of their own in the export model, and their field definitions have
 * no ids: the form is written as version 0, dated by the document's creation (the form existed by
 * then), and each field is identified by its column.
 */
export function formXml(doc: ExportDocument): string {
  const code = `${doc.folder}_form`;
  const created = Date.parse(doc.created);
  return xmlDocument(element('form', [
    element('code', code),
    element('type', 'NORMAL'),
    element('name', doc.form.name),
    element('createDate', created),
    element('modificationDate', created),
    element('publishingState', 'PUBLISHED'),
    element('formVersion', 0),
    element('schemaVersion', 1),
    element('listFormFields', doc.form.fields.map((field, column) => element('fieldForm', [
      element('code', `${code}_field_${column}`),
      element('name', field.name),
      element('columnIndex', column),
      element('type', formFieldType(field.type)),
      element('summary', `Type: [${field.type.toUpperCase()}]`),
      element('isPassword', 'false'),
    ], { id: column }))),
  ], { id: doc.form.id }));
}
