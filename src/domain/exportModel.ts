/**
 * What an export archive holds, as the renderers (HTML, XML) see it. The builder loads these a
 * page at a time from the store; renderers turn one of them into one file's text and do no I/O.
 * Every path here is relative to the archive's single top folder and uses `/`.
 */

/** `eln`: the ELN Consortium's RO-Crate, holding both the HTML archive's pages and the XML archive's files (issue 11). */
import type { Provenance } from './model.js';

export type ExportFormat = 'html' | 'xml' | 'eln';
export const exportFormats: readonly ExportFormat[] = ['html', 'xml', 'eln'];

/** The page a link between documents leads to: a `.eln` archive has both, and links lead to the one a person reads. */
export function linkedPageExtension(format: ExportFormat): 'html' | 'xml' {
  return format === 'xml' ? 'xml' : 'html';
}

export type ExportScope = 'user' | 'group' | 'selection';
export const exportScopes: readonly ExportScope[] = ['user', 'group', 'selection'];

export interface ExportCounts {
  documents: number;
  folders: number;
  files: number;
  /** Records asked for (or found inside what was asked for) that were left out: deleted or unreadable. */
  skipped: number;
}

export interface ExportManifest {
  /** "Alice Smith" */
  exportedBy: string;
  appVersion: string;
  sourceUrl: string;
  archiveId: string;
  /** yyyy-MM-dd */
  exportDate: string;
  /** The instant, ISO 8601 in UTC: the RO-Crate's dates are date-times. */
  exportedAt: string;
  scope: 'USER' | 'GROUP' | 'SELECTION';
  counts: ExportCounts;
  includeRevisionHistory: boolean;
  maxLinkLevel: number;
  /** Set for an incremental export: only records modified at or after this instant. */
  modifiedSince: string | null;
}

export interface ExportUser {
  id: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  role: string;
  affiliation: string | null;
}

export interface ExportFolder {
  id: number;
  name: string;
  kind: 'FOLDER' | 'NOTEBOOK';
  /** RSpace's folderTree type: `FOLDER:ROOT` for a home folder, `FOLDER:SYSTEM:ROOT_MEDIA` for a gallery, else `FOLDER` or `NOTEBOOK`. */
  treeType: string;
  /** Null when the parent is not in the archive. */
  parentId: number | null;
  ownerUsername: string;
  created: string;
  modified: string;
  /** The folder's own page in an HTML archive, e.g. `Project-Aspirin-14.html`. */
  pagePath: string;
}

export interface ExportFile {
  id: number;
  /** The file name as uploaded, made safe for a zip entry. */
  fileName: string;
  name: string;
  caption: string;
  contentType: string;
  /** Lower-case extension without the dot, or '' */
  extension: string;
  size: number;
  sha256: string;
  version: number;
  created: string;
  modified: string;
  ownerUsername: string;
  parentFolderId: number | null;
  /** `media_<Name>-<id>` when the file has its own folder in the archive, else null. */
  folder: string | null;
}

/** A file a field references, and where this document finds it. */
export interface ExportFieldFile {
  file: ExportFile;
  /** Path of the bytes inside the archive, e.g. `media_gel-12/gel.png` or `doc_Day-1-9/gel.png`. */
  path: string;
  /** The link from the document's own folder, e.g. `../media_gel-12/gel.png` or `gel.png`. */
  href: string;
}

/** A document a field links to. */
export interface ExportFieldLink {
  id: number;
  name: string;
  /** Relative (`../doc_X-3/doc_X-3.html` or `.xml`) when the target is in the archive, else the absolute `<Source URL>/globalId/SD3`. */
  href: string;
  inArchive: boolean;
}

export interface ExportField {
  id: number;
  name: string;
  type: string;
  columnIndex: number;
  modified: string;
  /** The stored, sanitised HTML; references still point at the live server (see rewriteContentLinks). */
  content: string;
  /** The sanitiser version that cleaned `content`: an HTML page re-sanitises content another version cleaned. */
  sanitiserVersion: string;
  files: ExportFieldFile[];
  links: ExportFieldLink[];
  /** Comments on the field, oldest first; a kept version's fields have none. */
  comments: ExportComment[];
}

export interface ExportComment {
  id: number;
  author: string;
  text: string;
  created: string;
}

export interface ExportDocument {
  id: number;
  name: string;
  version: number;
  /** Set when this is a kept earlier version, rendered in its own `-rev<N>` folder. */
  revisionOf: number | null;
  created: string;
  modified: string;
  tags: string[];
  owner: { username: string; fullName: string };
  form: { id: number; name: string; fields: { name: string; type: string }[] };
  /** The folder or notebook holding the document, if known. */
  parent: { id: number; name: string; treeType: string; inArchive: boolean } | null;
  /** `doc_<Name>-<id>` or `doc_<Name>-<id>-rev<N>` */
  folder: string;
  /** The document's other versions in the archive (with revision history): its kept ones, or the current one. */
  otherVersions: { version: number; folder: string; current: boolean }[];
  fields: ExportField[];
  /** Where an imported document came from, and who wrote it there. */
  provenance: Provenance | null;
}
