import type { ExportFolder } from '../../domain/exportModel.js';
import { element, xmlDocument } from './xmlTree.js';

/**
 * `folderTree.xml`: every exported folder and notebook. RSpace nests the owner as
 * `<owner><email/><fullName/><uniqueName/></owner>`; the export model only knows the username,
 * so only `uniqueName` is written, keeping the shape an importer of RSpace's files expects.
 */
export function folderTreeXml(folders: ExportFolder[]): string {
  return xmlDocument(element('exportRecordList', [
    element('listFolders', folders.map((folder) => element('folderTree', [
      element('owner', [element('uniqueName', folder.ownerUsername)]),
      element('creationDate', folder.created),
      element('modificationDate', folder.modified),
    ], { id: folder.id, parentId: folder.parentId, name: folder.name, type: folder.treeType }))),
    element('schemaVersion', 1),
  ]));
}
