import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { ExportDocument, ExportField, ExportFile, ExportFolder, ExportUser } from '../src/domain/exportModel.js';
import { escapeXmlAttribute, escapeXmlText, stripNonXmlChars } from '../src/export/xml/escape.js';
import {
  documentSchemaXsd,
  documentXml,
  folderTreeSchemaXsd,
  folderTreeXml,
  formSchemaXsd,
  formXml,
  galleryXml,
  linkResolverXml,
  usersSchemaXsd,
  usersXml,
} from '../src/export/xml/index.js';
import { each, joinPieces } from './support/archiveContents.js';

const fixtures = fileURLToPath(new URL('../../shared/fixtures/rspace/', import.meta.url));
const newestRspace = join(fixtures, 'RSPAC-1917-1-61chemtest.zip');
const work = mkdtempSync(join(tmpdir(), 'elnport-xml-'));
after(() => rmSync(work, { recursive: true, force: true }));

let written = 0;
function writeTemp(name: string, text: string): string {
  const path = join(work, `${++written}-${name}`);
  writeFileSync(path, text);
  return path;
}

function fromFixture(zip: string, entry: string): string {
  return execFileSync('unzip', ['-p', zip, `*/${entry}`], { encoding: 'utf8' });
}

const schemas = {
  ourDocument: writeTemp('documentSchema.xsd', documentSchemaXsd),
  ourForm: writeTemp('formSchema.xsd', formSchemaXsd),
  ourFolderTree: writeTemp('folderTreeSchema.xsd', folderTreeSchemaXsd),
  ourUsers: writeTemp('usersSchema.xsd', usersSchemaXsd),
  rspaceDocument: writeTemp('rspace-documentSchema.xsd', fromFixture(newestRspace, 'documentSchema.xsd')),
  rspaceForm: writeTemp('rspace-formSchema.xsd', fromFixture(newestRspace, 'formSchema.xsd')),
};

function validate(xml: string, schema: string): { ok: boolean; errors: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, writeTemp('doc.xml', xml)], { encoding: 'utf8' });
  return { ok: r.status === 0, errors: r.stderr };
}

function assertValid(xml: string, ...schemaPaths: string[]): void {
  for (const schema of schemaPaths) {
    const { ok, errors } = validate(xml, schema);
    assert.ok(ok, `not valid against ${schema}:\n${errors}`);
  }
}

/** The value of an XPath 1.0 expression, read back by a real XML parser. */
function xpath(xml: string, expression: string): string {
  const out = execFileSync('xmllint', ['--xpath', expression, writeTemp('q.xml', xml)], { encoding: 'utf8' });
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

function childNames(xml: string, parent: string): string[] {
  const count = Number(xpath(xml, `count(${parent}/*)`));
  return Array.from({ length: count }, (_, i) => xpath(xml, `name(${parent}/*[${i + 1}])`));
}

const betweenTags = (xml: string) => xml.replace(/>\s+</g, '><').trim();

const sourceUrl = 'https://eln.example.org/';
const nasty = 'Gel <&> "run"\u0001\u000B\uFFFE \uD800 lone, 🧪 kept';
const nastyAsRead = 'Gel <&> "run"  lone, 🧪 kept';

function file(overrides: Partial<ExportFile> & Pick<ExportFile, 'id' | 'fileName' | 'contentType'>): ExportFile {
  return {
    name: overrides.fileName,
    caption: '',
    extension: overrides.fileName.split('.').pop() ?? '',
    size: 10,
    sha256: 'a'.repeat(64),
    version: 1,
    created: '2026-11-20T09:00:00.000Z',
    modified: '2026-11-21T09:00:00.000Z',
    ownerUsername: 'alice',
    parentFolderId: 40,
    folder: `media_${overrides.id}`,
    ...overrides,
  };
}

const gel = file({ id: 12, fileName: 'gel.png', contentType: 'image/png', caption: 'Gel 1 & 2 <b>', folder: 'media_gel-12' });
const protocol = file({ id: 13, fileName: 'protocol.pdf', contentType: 'application/pdf', parentFolderId: null, folder: null });
const voice = file({ id: 14, fileName: 'voice.mp3', contentType: 'audio/mpeg', folder: 'media_voice-14' });
const clip = file({ id: 15, fileName: 'clip.mp4', contentType: 'video/mp4', folder: 'media_clip-15' });

const resultsField: ExportField = {
  id: 501,
  name: 'Results',
  type: 'TEXT',
  columnIndex: 0,
  modified: '2026-11-25T10:00:00.000Z',
  sanitiserVersion: 'unknown',
  content:
    '<p>Gel <img src="/api/v1/files/12/file" data-file-id="12" /> and '
    + '<a href="/api/v1/files/13/file" data-file-id="13">protocol</a>, '
    + '<a href="/globalId/SD3" data-doc-id="3">plan</a>, '
    + '<a data-doc-id="4" href="/globalId/SD4">old</a>, '
    + '<a href="/api/v1/files/99/file" data-file-id="99">gone</a>, '
    + '<a href="/globalId/SD98" data-doc-id="98">elsewhere</a> '
    + '&amp; 1 &lt; 2 \u0001 "q"</p>',
  files: [
    { file: gel, path: 'media_gel-12/gel.png', href: '../media_gel-12/gel.png' },
    { file: protocol, path: 'doc_Day-1-9/protocol.pdf', href: 'protocol.pdf' },
  ],
  links: [
    { id: 3, name: 'Plan', href: '../doc_Plan-3/doc_Plan-3.xml', inArchive: true },
    { id: 4, name: 'Old <notes>', href: 'https://eln.example.org/globalId/SD4', inArchive: false },
  ],
  comments: [{ id: 1, author: 'Bob <Lab> & Co', text: 'Checked the OD: 0.4 < 0.5', created: '2026-11-21T10:00:00.000Z' }],
};

const expectedResultsData =
  '<p>Gel <img src="../media_gel-12/gel.png" data-file-id="12" /> and '
  + '<a href="protocol.pdf" data-file-id="13">protocol</a>, '
  + '<a href="../doc_Plan-3/doc_Plan-3.xml" data-doc-id="3">plan</a>, '
  + '<a data-doc-id="4" href="https://eln.example.org/globalId/SD4">old</a>, '
  + '<a href="https://eln.example.org/globalId/GL99" data-file-id="99">gone</a>, '
  + '<a href="https://eln.example.org/globalId/SD98" data-doc-id="98">elsewhere</a> '
  + '&amp; 1 &lt; 2  "q"</p>';

const mediaField: ExportField = {
  id: 502,
  name: 'Recordings',
  type: 'TEXT',
  columnIndex: 1,
  modified: '2026-11-25T11:00:00.000Z',
  sanitiserVersion: 'unknown',
  // The gel is listed by the other field only; it must still reach the archive's copy.
  content: '<p><a href="/api/v1/files/14/file" data-file-id="14">voice</a> <img src="x" data-file-id="12" /></p>',
  files: [
    { file: voice, path: 'media_voice-14/voice.mp3', href: '../media_voice-14/voice.mp3' },
    { file: clip, path: 'media_clip-15/clip.mp4', href: '../media_clip-15/clip.mp4' },
  ],
  links: [],
  comments: [],
};

const doc: ExportDocument = {
  id: 9,
  name: nasty,
  version: 3,
  revisionOf: null,
  created: '2026-11-20T08:00:00.000Z',
  modified: '2026-11-25T11:00:00.000Z',
  tags: ['gel', 'pcr'],
  owner: { username: 'alice', fullName: 'Alice Smith' },
  form: { id: 7, name: 'Experiment', fields: [{ name: 'Results', type: 'TEXT' }, { name: 'Recordings', type: 'TEXT' }] },
  parent: { id: 40, name: 'Project <A>', treeType: 'NOTEBOOK', inArchive: true },
  folder: 'doc_Gel-run-lone-kept-9',
  otherVersions: [],
  fields: [resultsField, mediaField],
  provenance: null,
};

const bareDoc: ExportDocument = { ...doc, id: 10, tags: [], parent: null, fields: [] };

describe('documentXml', () => {
  const xml = documentXml(doc, sourceUrl);

  it('validates against our documentSchema.xsd and RSpace\'s', () => {
    assertValid(xml, schemas.ourDocument, schemas.rspaceDocument);
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?><archivalDocument docId="9">'));
  });

  it('writes the document\'s children in RSpace\'s order, tags comma-joined', () => {
    assert.deepEqual(childNames(xml, '/archivalDocument'), [
      'name', 'type', 'createdBy', 'tag', 'formType', 'creationDate', 'lastModifiedDate', 'recordVersion',
      'folderId', 'folderName', 'folderType', 'schemaVersion', 'listFields',
    ]);
    assert.equal(xpath(xml, 'string(/archivalDocument/tag)'), 'gel,pcr');
    assert.equal(xpath(xml, 'string(/archivalDocument/createdBy)'), 'alice');
    assert.equal(xpath(xml, 'string(/archivalDocument/recordVersion)'), '3');
    assert.equal(xpath(xml, 'string(/archivalDocument/folderId)'), '40');
    assert.equal(xpath(xml, 'string(/archivalDocument/folderName)'), 'Project <A>');
    assert.equal(xpath(xml, 'string(/archivalDocument/folderType)'), 'NOTEBOOK');
  });

  it('leaves out tag, folder name and type, and listFields when there are none, and stays valid', () => {
    const bare = documentXml(bareDoc, sourceUrl);
    assert.deepEqual(childNames(bare, '/archivalDocument'), [
      'name', 'type', 'createdBy', 'formType', 'creationDate', 'lastModifiedDate', 'recordVersion', 'folderId', 'schemaVersion',
    ]);
    assert.equal(xpath(bare, 'string(/archivalDocument/folderId)'), '0');
    assertValid(bare, schemas.ourDocument, schemas.rspaceDocument);
  });

  it('writes each field\'s children in the order of RSpace\'s archivalField', () => {
    assert.deepEqual(childNames(xml, '/archivalDocument/listFields/field[1]'), [
      'fieldName', 'fieldType', 'lastModifiedDate', 'fieldData', 'commentList', 'imageList', 'audioList', 'videoList',
      'chemdooleImageList', 'mathList', 'ImageAnnotationList', 'attachList', 'linkRecordList', 'sketchImageList', 'nfsElementList',
    ]);
    assert.equal(xpath(xml, 'string(//field[1]/@id)'), '501');
    assert.equal(xpath(xml, 'string(//field[2]/@id)'), '502');
  });

  it('rewrites content links: relative inside the archive, absolute globalId URLs outside', () => {
    assert.equal(xpath(xml, 'string(//field[@id="501"]/fieldData)'), expectedResultsData);
    assert.equal(
      xpath(xml, 'string(//field[@id="502"]/fieldData)'),
      '<p><a href="../media_voice-14/voice.mp3" data-file-id="14">voice</a> <img src="../media_gel-12/gel.png" data-file-id="12" /></p>',
    );
  });

  it('lists each file under its kind, linked from the document folder, with its caption', () => {
    const image = '//field[@id="501"]/imageList/image-Info';
    assert.equal(xpath(xml, `count(${image})`), '1');
    assert.equal(xpath(xml, `string(${image}/@id)`), '12');
    assert.equal(xpath(xml, `string(${image}/@parentGalleryFolderId)`), '40');
    assert.equal(xpath(xml, `string(${image}/parentId)`), '501');
    assert.equal(xpath(xml, `string(${image}/linkFile)`), '../media_gel-12/gel.png');
    assert.equal(xpath(xml, `string(${image}/description)`), 'Gel 1 & 2 <b>');
    assert.deepEqual(childNames(xml, image), [
      'schemaVersion', 'parentId', 'fileName', 'name', 'linkFile', 'contentType', 'extension',
      'creationDate', 'modificationDate', 'createdBy', 'description',
    ]);

    const attach = '//field[@id="501"]/attachList/attach-info';
    assert.equal(xpath(xml, `count(${attach})`), '1');
    assert.equal(xpath(xml, `string(${attach}/@id)`), '13');
    assert.equal(xpath(xml, `count(${attach}/@parentGalleryFolderId)`), '0');
    assert.equal(xpath(xml, `string(${attach}/linkFile)`), 'protocol.pdf');

    assert.equal(xpath(xml, 'string(//field[@id="502"]/audioList/audio-Info/@id)'), '14');
    assert.equal(xpath(xml, 'string(//field[@id="502"]/audioList/audio-Info/linkFile)'), '../media_voice-14/voice.mp3');
    assert.equal(xpath(xml, 'string(//field[@id="502"]/videoList/video-info/@id)'), '15');
    assert.equal(xpath(xml, 'count(//field[@id="502"]/imageList/*) + count(//field[@id="502"]/attachList/*)'), '0');
  });

  it('writes a link-info per linked document, with the target id and its href', () => {
    const links = '//field[@id="501"]/linkRecordList/link-info';
    assert.equal(xpath(xml, `count(${links})`), '2');
    assert.equal(xpath(xml, `string(${links}[1]/@id)`), '3');
    assert.equal(xpath(xml, `string(${links}[1]/parentId)`), '501');
    assert.equal(xpath(xml, `string(${links}[1]/name)`), 'Plan');
    assert.equal(xpath(xml, `string(${links}[1]/linkFile)`), '../doc_Plan-3/doc_Plan-3.xml');
    assert.equal(xpath(xml, `string(${links}[2]/@id)`), '4');
    assert.equal(xpath(xml, `string(${links}[2]/name)`), 'Old <notes>');
    assert.equal(xpath(xml, `string(${links}[2]/linkFile)`), 'https://eln.example.org/globalId/SD4');
  });

  it('escapes markup characters and drops characters XML 1.0 cannot hold', () => {
    assert.equal(xpath(xml, 'string(/archivalDocument/name)'), nastyAsRead);
    for (const dropped of ['\u0001', '\u000B', '\uFFFE', '\uD800']) assert.ok(!xml.includes(dropped));
    assert.ok(xml.includes('<name>Gel &lt;&amp;&gt; &quot;run&quot;'));
  });

  it('is rejected by both schemas when RSpace\'s order is broken (the validation is not vacuous)', () => {
    const swapped = xml.replace(/(<name>.*?<\/name>)(\s*)(<type>NORMAL<\/type>)/, '$3$2$1');
    assert.notEqual(swapped, xml);
    assert.equal(validate(swapped, schemas.ourDocument).ok, false);
    assert.equal(validate(swapped, schemas.rspaceDocument).ok, false);
  });
});

describe('galleryXml', () => {
  const xml = galleryXml(gel);

  it('validates against our documentSchema.xsd and RSpace\'s', () => {
    assertValid(xml, schemas.ourDocument, schemas.rspaceDocument);
  });

  it('writes RSpace\'s elements only (no version), linking the file by bare name', () => {
    assert.deepEqual(childNames(xml, '/archivalGalleryMetadata'), [
      'schemaVersion', 'parentId', 'fileName', 'name', 'linkFile', 'contentType', 'extension',
      'creationDate', 'modificationDate', 'createdBy', 'description',
    ]);
    assert.equal(xpath(xml, 'string(/archivalGalleryMetadata/@id)'), '12');
    assert.equal(xpath(xml, 'string(/archivalGalleryMetadata/@parentGalleryFolderId)'), '40');
    assert.equal(xpath(xml, 'string(/archivalGalleryMetadata/parentId)'), '40');
    assert.equal(xpath(xml, 'string(/archivalGalleryMetadata/linkFile)'), 'gel.png');
    assert.equal(xpath(xml, 'string(/archivalGalleryMetadata/description)'), 'Gel 1 & 2 <b>');
  });

  it('uses parentId 0 and no parentGalleryFolderId for a file outside any folder', () => {
    const loose = galleryXml({ ...gel, parentFolderId: null });
    assert.equal(xpath(loose, 'string(/archivalGalleryMetadata/parentId)'), '0');
    assert.equal(xpath(loose, 'count(/archivalGalleryMetadata/@parentGalleryFolderId)'), '0');
    assertValid(loose, schemas.ourDocument, schemas.rspaceDocument);
  });

  it('would be rejected by both schemas with a version element', () => {
    const withVersion = xml.replace('</archivalGalleryMetadata>', '<version>1</version></archivalGalleryMetadata>');
    assert.equal(validate(withVersion, schemas.ourDocument).ok, false);
    assert.equal(validate(withVersion, schemas.rspaceDocument).ok, false);
  });
});

describe('formXml', () => {
  const xml = formXml(doc);

  it('validates against our formSchema.xsd and RSpace\'s', () => {
    assertValid(xml, schemas.ourForm, schemas.rspaceForm);
  });

  it('writes the form as RSpace does, dates as epoch milliseconds', () => {
    assert.deepEqual(childNames(xml, '/form'), [
      'code', 'type', 'name', 'createDate', 'modificationDate', 'publishingState', 'formVersion', 'schemaVersion', 'listFormFields',
    ]);
    assert.equal(xpath(xml, 'string(/form/@id)'), '7');
    assert.equal(xpath(xml, 'string(/form/code)'), 'doc_Gel-run-lone-kept-9_form');
    assert.equal(xpath(xml, 'string(/form/createDate)'), String(Date.parse('2026-11-20T08:00:00.000Z')));
    assert.equal(xpath(xml, 'string(/form/publishingState)'), 'PUBLISHED');
    assert.equal(xpath(xml, 'count(/form/listFormFields/fieldForm)'), '2');
    const second = '/form/listFormFields/fieldForm[2]';
    assert.deepEqual(childNames(xml, second), ['code', 'name', 'columnIndex', 'type', 'summary', 'isPassword']);
    assert.equal(xpath(xml, `string(${second}/code)`), 'doc_Gel-run-lone-kept-9_form_field_1');
    assert.equal(xpath(xml, `string(${second}/name)`), 'Recordings');
    assert.equal(xpath(xml, `string(${second}/columnIndex)`), '1');
    assert.equal(xpath(xml, `string(${second}/type)`), 'Text');
    assert.equal(xpath(xml, `string(${second}/isPassword)`), 'false');
  });
});

describe('folderTreeXml', () => {
  const folders: ExportFolder[] = [
    { id: 1, name: 'alice', kind: 'FOLDER', treeType: 'FOLDER:ROOT', parentId: null, ownerUsername: 'alice', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-02T00:00:00.000Z', pagePath: 'alice-1.html' },
    { id: 40, name: 'Project "A"\n<new>', kind: 'NOTEBOOK', treeType: 'NOTEBOOK', parentId: 1, ownerUsername: 'alice', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-02T00:00:00.000Z', pagePath: 'Project-A-40.html' },
  ];
  const written = (list: ExportFolder[]) => joinPieces(folderTreeXml(each(list)));
  let xml = '';
  before(async () => {
    xml = await written(folders);
  });

  it('validates against our schema', async () => {
    assertValid(xml, schemas.ourFolderTree);
    assertValid(await written([]), schemas.ourFolderTree);
  });

  it('writes one folderTree per folder, parentId only when the parent is in the archive', () => {
    assert.deepEqual(childNames(xml, '/exportRecordList'), ['listFolders', 'schemaVersion']);
    assert.equal(xpath(xml, 'count(//folderTree)'), '2');
    assert.equal(xpath(xml, 'count(//folderTree[1]/@parentId)'), '0');
    assert.equal(xpath(xml, 'string(//folderTree[1]/@type)'), 'FOLDER:ROOT');
    assert.equal(xpath(xml, 'string(//folderTree[2]/@parentId)'), '1');
    assert.equal(xpath(xml, 'string(//folderTree[2]/@name)'), 'Project "A"\n<new>');
    assert.deepEqual(childNames(xml, '//folderTree[2]'), ['owner', 'creationDate', 'modificationDate']);
    assert.equal(xpath(xml, 'string(//folderTree[2]/owner/uniqueName)'), 'alice');
    assert.equal(xpath(xml, 'string(//folderTree[2]/modificationDate)'), '2026-02-02T00:00:00.000Z');
  });
});

describe('linkResolverXml and usersXml', () => {
  it('writes the empty link resolver map RSpace writes', () => {
    assert.equal(betweenTags(linkResolverXml()), betweenTags(fromFixture(newestRspace, 'linkResolver.xml')));
  });

  it('writes users.xml as RSpace did (v1-35) for the same user', () => {
    const user: ExportUser = {
      id: 1, username: 'ra22597', email: 'ra22597@gmail.com', firstName: 'Richard', lastName: 'Adams-google', role: 'ROLE_USER', affiliation: null,
    };
    const fixture = fromFixture(join(fixtures, 'v1-35.zip'), 'users.xml');
    assert.equal(betweenTags(usersXml([user])).replace(/^<\?xml[^>]*\?>/, ''), betweenTags(fixture).replace(/^<\?xml[^>]*\?>/, ''));
  });

  it('validates users.xml against our schema, with several users sharing a role', () => {
    const users: ExportUser[] = [
      { id: 1, username: 'alice', email: 'a@example.org', firstName: 'Alice', lastName: 'S<mith>', role: 'ROLE_USER', affiliation: 'Lab & Co' },
      { id: 2, username: 'bob', email: 'b@example.org', firstName: 'Bob', lastName: 'Jones', role: 'ROLE_USER', affiliation: null },
    ];
    const xml = usersXml(users);
    assertValid(xml, schemas.ourUsers);
    assertValid(usersXml([]), schemas.ourUsers);
    assert.equal(xpath(xml, 'string(//user[1]/lastName)'), 'S<mith>');
    assert.equal(xpath(xml, 'string(//user[1]/affiliation)'), 'Lab & Co');
    assert.equal(xpath(xml, 'string(//user[2]/listOfRoles/role/@name)'), 'ROLE_USER');
  });
});

describe('XML escaping', () => {
  it('escapes &, <, >, " and keeps a CR in text', () => {
    assert.equal(escapeXmlText('a&b<c>d"e\rf'), 'a&amp;b&lt;c&gt;d&quot;e&#13;f');
  });

  it('escapes tabs and line breaks in attributes, which a parser would turn into spaces', () => {
    assert.equal(escapeXmlAttribute('a\tb\nc"d'), 'a&#9;b&#10;c&quot;d');
  });

  it('drops every character XML 1.0 forbids and keeps the rest', () => {
    const forbidden = [
      ...Array.from({ length: 9 }, (_, i) => String.fromCharCode(i)),
      '\u000B', '\u000C',
      ...Array.from({ length: 18 }, (_, i) => String.fromCharCode(0x0e + i)),
      '\uFFFE', '\uFFFF', '\uD800', '\uDFFF',
    ];
    for (const c of forbidden) assert.equal(stripNonXmlChars(`a${c}b`), 'ab', `U+${c.charCodeAt(0).toString(16)}`);
    const allowed = '\t\n\r \u007F\u00E9\uD7FF\uE000\uFFFD🧪\u{10FFFF}';
    assert.equal(stripNonXmlChars(allowed), allowed);
    assert.equal(stripNonXmlChars('\uDC00\uD800'), '', 'reversed surrogates are not a pair');
  });

  it('changes, in text and in attributes, each character that needs it and no other', () => {
    const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };
    const inAttribute: Record<string, string> = { ...entities, '\t': '&#9;', '\n': '&#10;' };
    for (let code = 0; code <= 0xffff; code++) {
      const c = String.fromCharCode(code);
      const forbidden = (code < 0x20 && !'\t\n\r'.includes(c)) || (code >= 0xd800 && code <= 0xdfff) || code >= 0xfffe;
      assert.equal(escapeXmlText(`a${c}b`), forbidden ? 'ab' : `a${entities[c] ?? c}b`, `U+${code.toString(16)}`);
      assert.equal(escapeXmlAttribute(`a${c}b`), forbidden ? 'ab' : `a${inAttribute[c] ?? c}b`, `U+${code.toString(16)}`);
    }
    assert.equal(escapeXmlText('🧪\u{10FFFF}'), '🧪\u{10FFFF}');
  });

  it('keeps a text value exact through a real parser', async () => {
    const xml = await joinPieces(folderTreeXml(each([{ id: 1, name: 'x', kind: 'FOLDER', treeType: 'FOLDER', parentId: null, ownerUsername: 'a\r\nb\t"c"', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pagePath: 'x-1.html' }])));
    assert.equal(xpath(xml, 'string(//uniqueName)'), 'a\r\nb\t"c"');
  });
});
