/**
 * A schema for `users.xml`. RSpace's own usersSchema.xsd rejects the users.xml RSpace writes
 * (empty lists; roles typed xs:ID, so two users may not share one), so we describe ours instead.
 */
export const usersSchemaXsd = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- elnport: users.xml, the users whose work is in a user or group XML archive. -->
<xs:schema version="1.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">

  <xs:element name="archiveUsers" type="archiveUsers"/>

  <xs:complexType name="archiveUsers">
    <xs:sequence>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
      <xs:element name="listOfUsers">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="user" type="user" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <!-- Groups, communities, preferences and profiles are not exported: always empty. -->
      <xs:element name="listOfGroups" type="emptyList"/>
      <xs:element name="listOfUserGroups" type="emptyList"/>
      <xs:element name="listOfCommunities" type="emptyList"/>
      <xs:element name="listOfUserPreferences" type="emptyList"/>
      <xs:element name="userProfiles" type="emptyList"/>
    </xs:sequence>
  </xs:complexType>

  <xs:complexType name="emptyList">
    <xs:sequence/>
  </xs:complexType>

  <xs:complexType name="user">
    <xs:sequence>
      <!-- Empty when unknown. -->
      <xs:element name="affiliation" type="xs:string"/>
      <xs:element name="email" type="xs:string"/>
      <xs:element name="firstName" type="xs:string"/>
      <xs:element name="lastName" type="xs:string"/>
      <xs:element name="listOfRoles">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="role">
              <xs:complexType>
                <!-- ROLE_USER, ROLE_PI, ROLE_ADMIN or ROLE_SYSADMIN -->
                <xs:attribute name="name" type="xs:string" use="required"/>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="username" type="xs:string"/>
    </xs:sequence>
  </xs:complexType>
</xs:schema>
`;
