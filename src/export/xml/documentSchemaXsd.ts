/**
 * `documentSchema.xsd` in our XML archives. Element names and order are RSpace's (its
 * documentSchema.xsd), so a document valid here is valid there too; this schema is narrower, and
 * lists only what elnport writes, so it tells a reader exactly what to expect.
 */
export const documentSchemaXsd = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- elnport: documents (doc_*.xml) and gallery files (media_*.xml) of an XML archive. -->
<xs:schema version="1.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">

  <xs:element name="archivalDocument" type="archivalDocument"/>

  <xs:element name="archivalGalleryMetadata" type="archivalGalleryMetadata"/>

  <xs:complexType name="archivalDocument">
    <xs:sequence>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="type" type="xs:string" fixed="NORMAL"/>
      <xs:element name="createdBy" type="xs:string"/>
      <!-- The document's tags, comma-separated; absent when it has none. -->
      <xs:element name="tag" type="xs:string" minOccurs="0"/>
      <xs:element name="formType" type="xs:string" fixed="NORMAL"/>
      <xs:element name="creationDate" type="xs:dateTime"/>
      <xs:element name="lastModifiedDate" type="xs:dateTime"/>
      <xs:element name="recordVersion" type="xs:long"/>
      <!-- The folder or notebook holding the document; 0 when unknown. -->
      <xs:element name="folderId" type="xs:long"/>
      <xs:element name="folderName" type="xs:string" minOccurs="0"/>
      <xs:element name="folderType" type="xs:string" minOccurs="0"/>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
      <xs:element name="listFields" minOccurs="0">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="field" type="archivalField" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:sequence>
    <xs:attribute name="docId" type="xs:long" use="required"/>
  </xs:complexType>

  <xs:complexType name="archivalField">
    <xs:sequence>
      <xs:element name="fieldName" type="xs:string"/>
      <xs:element name="fieldType" type="xs:string"/>
      <xs:element name="lastModifiedDate" type="xs:dateTime"/>
      <!-- The field's HTML. Links to files and documents in the archive are relative to the
           document's folder; links to records outside it are absolute globalId URLs. -->
      <xs:element name="fieldData" type="xs:string"/>
      <!-- Each comment is one item of RSpace's thread: its writer, when, and its plain text. -->
      <xs:element name="commentList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="comment" minOccurs="0" maxOccurs="unbounded">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="author" type="xs:string"/>
                  <xs:element name="createDate" type="xs:dateTime"/>
                  <xs:element name="items">
                    <xs:complexType>
                      <xs:sequence>
                        <xs:element name="commentItem">
                          <xs:complexType>
                            <xs:sequence>
                              <xs:element name="lastUpdater" type="xs:string"/>
                              <xs:element name="createDate" type="xs:dateTime"/>
                              <xs:element name="itemContent" type="xs:string"/>
                            </xs:sequence>
                          </xs:complexType>
                        </xs:element>
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="imageList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="image-Info" type="archivalGalleryMetadata" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="audioList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="audio-Info" type="archivalGalleryMetadata" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="videoList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="video-info" type="archivalGalleryMetadata" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="chemdooleImageList" type="emptyList"/>
      <xs:element name="mathList" type="emptyList"/>
      <xs:element name="ImageAnnotationList" type="emptyList"/>
      <xs:element name="attachList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="attach-info" type="archivalGalleryMetadata" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="linkRecordList">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="link-info" type="archivalLink" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="sketchImageList" type="emptyList"/>
      <xs:element name="nfsElementList" type="emptyList"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
  </xs:complexType>

  <!-- Lists RSpace has that elnport has nothing for: always written, always empty. -->
  <xs:complexType name="emptyList">
    <xs:sequence/>
  </xs:complexType>

  <!-- A gallery file: in media_*.xml (parentId is its folder, or 0; linkFile its bare name), or
       referenced by a field (parentId is the field; linkFile is relative to the document's folder). -->
  <xs:complexType name="archivalGalleryMetadata">
    <xs:sequence>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
      <xs:element name="parentId" type="xs:long"/>
      <xs:element name="fileName" type="xs:string"/>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="linkFile" type="xs:string"/>
      <xs:element name="contentType" type="xs:string"/>
      <xs:element name="extension" type="xs:string"/>
      <xs:element name="creationDate" type="xs:dateTime"/>
      <xs:element name="modificationDate" type="xs:dateTime"/>
      <xs:element name="createdBy" type="xs:string"/>
      <!-- The file's caption. -->
      <xs:element name="description" type="xs:string"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
    <xs:attribute name="parentGalleryFolderId" type="xs:long"/>
  </xs:complexType>

  <!-- A document a field links to: id is the target document, parentId the field. -->
  <xs:complexType name="archivalLink">
    <xs:sequence>
      <xs:element name="schemaVersion" type="xs:int" fixed="1"/>
      <xs:element name="parentId" type="xs:long"/>
      <xs:element name="fileName" type="xs:string"/>
      <xs:element name="name" type="xs:string"/>
      <xs:element name="linkFile" type="xs:string"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:long" use="required"/>
  </xs:complexType>
</xs:schema>
`;
