import type { ExportFolder } from '../../domain/exportModel.js';
import { element, streamedElement, xmlDocumentPieces, type XmlElement } from './xmlTree.js';

async function* folderTrees(folders: AsyncIterable<ExportFolder>): AsyncIterable<XmlElement> {
  for await (const folder of folders) {
    yield element('folderTree', [
      element('owner', [element('uniqueName', folder.ownerUsername)]),
      element('creationDate', folder.created),
      element('modificationDate', folder.modified),
    ], { id: folder.id, parentId: folder.parentId, name: folder.name, type: folder.treeType });
  }
}

/**
 * `folderTree.xml`: every exported folder and notebook, written as they are read. RSpace nests
 * the owner as `<owner><email/><fullName/><uniqueName/></owner>`; the export model only knows the
 * username, so only `uniqueName` is written, keeping the shape an importer of RSpace's files expects.
 */
export function folderTreeXml(folders: AsyncIterable<ExportFolder>): AsyncIterable<string> {
  return xmlDocumentPieces(streamedElement('exportRecordList', [
    streamedElement('listFolders', folderTrees(folders)),
    element('schemaVersion', 1),
  ]));
}
