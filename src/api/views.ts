import type { FastifyRequest } from 'fastify';
import { globalId } from '../domain/globalIds.js';
import type { MediaFile, RecordRow, User } from '../domain/model.js';
import { apiUrl, selfLink } from './links.js';

/** The JSON shapes RSpace gives users, folders and files, used by several route files. */

export function userJson(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    homeFolderId: user.homeFolderId,
    workbenchId: user.homeFolderId,
    hasPiRole: user.role === 'ROLE_PI',
    hasSysAdminRole: user.role === 'ROLE_SYSADMIN',
    _links: [],
  };
}

/** A user as whoami, the sysadmin's user routes and a session describe them (UserDetails). */
export function userDetailsJson(user: User) {
  return { ...userJson(user), role: user.role, affiliation: user.affiliation, enabled: user.enabled };
}

export function recordPath(record: RecordRow): string {
  switch (record.kind) {
    case 'DOCUMENT':
      return `/documents/${record.id}`;
    case 'MEDIA':
      return `/files/${record.id}`;
    default:
      return `/folders/${record.id}`;
  }
}

export function folderJson(request: FastifyRequest, folder: RecordRow) {
  return {
    id: folder.id,
    globalId: globalId(folder.kind, folder.id),
    name: folder.name,
    created: folder.created,
    lastModified: folder.modified,
    parentFolderId: folder.parentId,
    notebook: folder.kind === 'NOTEBOOK',
    _links: [selfLink(request, recordPath(folder))],
  };
}

export function fileJson(request: FastifyRequest, record: RecordRow, file: MediaFile) {
  return {
    id: record.id,
    globalId: globalId('MEDIA', record.id),
    name: record.name,
    caption: file.caption,
    contentType: file.contentType,
    created: record.created,
    size: file.size,
    sha256: file.sha256,
    version: record.version,
    parentFolderId: record.parentId,
    _links: [selfLink(request, `/files/${record.id}`), { link: apiUrl(request, `/files/${record.id}/file`), rel: 'enclosure' }],
  };
}
