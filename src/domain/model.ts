/** The lab's work as elnport holds it. Plain data: the store maps rows to these. */

export type SystemRole = 'ROLE_USER' | 'ROLE_PI' | 'ROLE_ADMIN' | 'ROLE_SYSADMIN';
export const systemRoles: readonly SystemRole[] = ['ROLE_USER', 'ROLE_PI', 'ROLE_ADMIN', 'ROLE_SYSADMIN'];

export type GroupType = 'LAB_GROUP' | 'PROJECT_GROUP';
export const groupTypes: readonly GroupType[] = ['LAB_GROUP', 'PROJECT_GROUP'];

/** GROUP_OWNER is a project group's owner (RSpace's role); it oversees nobody's work. */
export type GroupRole = 'PI' | 'DEFAULT' | 'RS_LAB_ADMIN' | 'GROUP_OWNER';
export const groupRoles: readonly GroupRole[] = ['PI', 'DEFAULT', 'RS_LAB_ADMIN', 'GROUP_OWNER'];

export type RecordKind = 'FOLDER' | 'NOTEBOOK' | 'DOCUMENT' | 'MEDIA';

export interface User {
  id: number;
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  role: SystemRole;
  affiliation: string | null;
  enabled: boolean;
  homeFolderId: number;
  galleryFolderId: number;
  created: string;
}

export interface GroupMember {
  userId: number;
  username: string;
  role: GroupRole;
  /** A lab admin granted view-all reads every member's work, as the group's PI does. */
  viewAll: boolean;
}

export interface Group {
  id: number;
  name: string;
  type: GroupType;
  sharedFolderId: number;
  created: string;
  members: GroupMember[];
}

/** One row of the records table: folders, notebooks, documents and gallery files share ids. */
export interface RecordRow {
  id: number;
  kind: RecordKind;
  name: string;
  ownerId: number;
  parentId: number | null;
  created: string;
  modified: string;
  version: number;
  tags: string;
  formId: number | null;
  deleted: boolean;
  provenance: Provenance | null;
}

/** Where an imported document came from: the archive, the source's own id, and who wrote it there. */
export interface Provenance {
  archive: string;
  /** `rspace-xml` or `eln`. */
  format: string;
  sourceId: string;
  authors: { name: string; email?: string; identifier?: string }[];
  importJobId: number;
}

/** A comment on a document's field: RSpace keeps them per field. */
export interface Comment {
  id: number;
  documentId: number;
  fieldId: number;
  author: string;
  /** Plain text. */
  text: string;
  created: string;
}

export interface Field {
  id: number;
  documentId: number;
  name: string;
  type: string;
  columnIndex: number;
  content: string;
  /** The sanitiser version that cleaned `content` (see fieldContent.ts). */
  sanitiserVersion: string;
  modified: string;
}

export interface MediaFile {
  id: number;
  fileName: string;
  caption: string;
  contentType: string;
  size: number;
  sha256: string;
  blobKey: string;
}

export interface FormFieldDefinition {
  name: string;
  type: string;
}

export interface Form {
  id: number;
  name: string;
  fields: FormFieldDefinition[];
}
