import type { ExportUser } from '../../domain/exportModel.js';
import { element, xmlDocument } from './xmlTree.js';

/**
 * `users.xml`, shaped as RSpace writes it (v1-35, RSPAC-890): groups, communities, preferences and
 * profiles are not exported, and their lists are written empty as RSpace does, since its importer
 * reads those files. RSpace's own usersSchema.xsd rejects those empty lists (and repeated roles,
 * typed xs:ID); our usersSchemaXsd describes the file as written.
 */
export function usersXml(users: ExportUser[]): string {
  return xmlDocument(element('archiveUsers', [
    element('schemaVersion', 1),
    element('listOfUsers', users.map((user) => element('user', [
      element('affiliation', user.affiliation ?? ''),
      element('email', user.email),
      element('firstName', user.firstName),
      element('lastName', user.lastName),
      element('listOfRoles', [element('role', [], { name: user.role })]),
      element('username', user.username),
    ]))),
    element('listOfGroups'),
    element('listOfUserGroups'),
    element('listOfCommunities'),
    element('listOfUserPreferences'),
    element('userProfiles'),
  ]));
}
