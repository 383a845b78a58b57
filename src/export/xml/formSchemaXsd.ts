/**
 * `formSchema.xsd` in our XML archives: RSpace's `archivalForm` names and order (so our forms
 * validate against RSpace's formSchema.xsd as well), narrowed to what elnport writes.
 */
export const formSchemaXsd = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- elnport: the form of each document (doc_*_form.xml) of an XML archive. -->
<xs:schema version="1.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">

  <xs:element name="form" type="archivalForm"/>

  <xs:complexType name="archivalForm">
    <xs:sequence>
      <xs:element name="code" type="xs:string"/>
      <xs:element name="type" type="xs:string" fixed="NORMAL"/>
      <xs:element name="name" type="xs:string"/>
      <!-- Milliseconds since 1970-01-01T00:00:00Z. -->
      <xs:element name="createDate" type="xs:long"/>
      <xs:element name="modificationDate" type="xs:long"/>
      <xs:element name="publishingState" type="xs:string" fixed="PUBLISHED"/>
      <xs:element name="formVersion" type="xs:string"/>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
      <xs:element name="listFormFields">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="fieldForm" type="archivalFieldForm" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
  </xs:complexType>

  <!-- One field definition; id is its column, as elnport's field definitions have no ids. -->
  <xs:complexType name="archivalFieldForm">
    <xs:sequence>
      <xs:element name="code" type="xs:string"/>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="columnIndex" type="xs:int"/>
      <xs:element name="type" type="xs:string"/>
      <xs:element name="summary" type="xs:string"/>
      <xs:element name="isPassword" type="xs:boolean" fixed="false"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
  </xs:complexType>
</xs:schema>
`;
