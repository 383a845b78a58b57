import type { ExportDocument } from '../../domain/exportModel.js';
import { rewriteContentLinks, type ContentLinks } from '../../domain/archiveLinks.js';
import { fieldElement } from './fieldXml.js';
import { element, optionalElement, xmlDocument } from './xmlTree.js';

/**
 * Maps are built over the whole document, not per field: a field may show a file or link that
 * another field of the same document lists, and it should still reach the archive's copy.
 */
function contentRewriter(doc: ExportDocument, sourceUrl: string): (html: string) => string {
  const links: ContentLinks = {
    files: new Map(doc.fields.flatMap((field) => field.files.map((f) => [f.file.id, f.href] as const))),
    documents: new Map(doc.fields.flatMap((field) => field.links.map((link) => [link.id, link.href] as const))),
    sourceUrl,
  };
  return (html) => rewriteContentLinks(html, links);
}

/** `doc_<Name>-<id>.xml`: children in the order of RSpace's `archivalDocument` sequence. */
export function documentXml(doc: ExportDocument, sourceUrl: string): string {
  const rewrite = contentRewriter(doc, sourceUrl);
  return xmlDocument(element('archivalDocument', [
    element('name', doc.name),
    element('type', 'NORMAL'),
    element('createdBy', doc.owner.username),
    doc.tags.length > 0 ? element('tag', doc.tags.join(',')) : null,
    element('formType', 'NORMAL'),
    element('creationDate', doc.created),
    element('lastModifiedDate', doc.modified),
    element('recordVersion', doc.version),
    // RSpace requires a folder id; 0 is its own "none", as for a gallery file's parentId.
    element('folderId', doc.parent?.id ?? 0),
    optionalElement('folderName', doc.parent?.name),
    optionalElement('folderType', doc.parent?.treeType),
    element('schemaVersion', 1),
    // RSpace's schema wants at least one field inside a listFields, so a field-less document has none.
    doc.fields.length > 0 ? element('listFields', doc.fields.map((field) => fieldElement(field, rewrite(field.content)))) : null,
  ], { docId: doc.id }));
}
