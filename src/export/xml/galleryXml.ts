import type { ExportFile } from '../../domain/exportModel.js';
import { element, xmlDocument, type XmlElement } from './xmlTree.js';

/**
 * RSpace's `archivalGalleryMetadata`: a gallery file's own XML and, under other tag names
 * (`image-Info`, `attach-info`, …), each file a document field references. RSpace's schema has
 * no `version` element, so the file's version is not written: the XML must stay valid there.
 */
export function galleryMetadata(tag: string, file: ExportFile, parentId: number, linkFile: string): XmlElement {
  return element(tag, [
    element('schemaVersion', 1),
    element('parentId', parentId),
    element('fileName', file.fileName),
    element('name', file.name),
    element('linkFile', linkFile),
    element('contentType', file.contentType),
    element('extension', file.extension),
    element('creationDate', file.created),
    element('modificationDate', file.modified),
    element('createdBy', file.ownerUsername),
    element('description', file.caption),
  ], { id: file.id, parentGalleryFolderId: file.parentFolderId });
}

/** `media_<Name>-<id>.xml`, which sits beside the file, so it links to it by bare name. */
export function galleryXml(file: ExportFile): string {
  return xmlDocument(galleryMetadata('archivalGalleryMetadata', file, file.parentFolderId ?? 0, file.fileName));
}
