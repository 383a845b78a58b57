/**
 * A schema for `folderTree.xml`. RSpace ships none for this file; ours documents what we write.
 */
export const folderTreeSchemaXsd = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- elnport: folderTree.xml, every folder and notebook in an XML archive. -->
<xs:schema version="1.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">

  <xs:element name="exportRecordList" type="exportRecordList"/>

  <xs:complexType name="exportRecordList">
    <xs:sequence>
      <xs:element name="listFolders">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="folderTree" type="folderTree" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
    </xs:sequence>
  </xs:complexType>

  <!-- type is RSpace's: FOLDER:ROOT for a home folder, FOLDER:SYSTEM:ROOT_MEDIA for a gallery,
       else FOLDER or NOTEBOOK. parentId is absent when the parent is not in the archive. -->
  <xs:complexType name="folderTree">
    <xs:sequence>
      <xs:element name="owner">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="uniqueName" type="xs:string"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="creationDate" type="xs:dateTime"/>
      <xs:element name="modificationDate" type="xs:dateTime"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
    <xs:attribute name="parentId" type="xs:long"/>
    <xs:attribute name="name" type="xs:string" use="required"/>
    <xs:attribute name="type" type="xs:string" use="required"/>
  </xs:complexType>
</xs:schema>
`;
