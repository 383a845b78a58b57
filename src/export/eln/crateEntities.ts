/**
 * The RO-Crate entities of a `.eln` archive (the ELN Consortium's format, issue 11), one function
 * per kind of entity. Pure: a document's entities are made on the worker thread that renders its
 * pages, the rest by the builder when it writes `ro-crate-metadata.json` last.
 *
 * Ids are paths below the crate's root, each segment percent-encoded (so `gel #1.png` is no
 * fragment): `doc_Day-1-9/` for a document's folder, `media_gel-12/gel.png` for a file. Folders
 * and notebooks have no directory of their own in the archive (the layout is the HTML archive's,
 * where every document folder sits at the top), so they are Datasets with local ids,
 * `#folder-5`, which RO-Crate 1.2 allows for a Dataset that is not a directory.
 */
import { pathHref } from '../../domain/archiveNames.js';
import type { ExportDocument, ExportFile, ExportFolder, ExportManifest, ExportUser } from '../../domain/exportModel.js';
import { text } from '../html/escape.js';
import { fieldContentHtml } from '../html/fieldContent.js';

export const crateContext = 'https://w3id.org/ro/crate/1.2/context';
const crateSpecification = 'https://w3id.org/ro/crate/1.2';
/** The version of the consortium's `.eln` format that the descriptor names. */
const elnVersion = '1.0';
const publisherId = '#publisher';

export type Entity = Record<string, unknown> & { '@id': string; '@type': string };
type Reference = { '@id': string };

const ref = (id: string): Reference => ({ '@id': id });

export function documentEntityId(folder: string): string {
  return `${pathHref(folder)}/`;
}

export function fileEntityId(path: string): string {
  return pathHref(path);
}

export function folderEntityId(folder: Pick<ExportFolder, 'id' | 'kind'>): string {
  return `#${folder.kind === 'NOTEBOOK' ? 'notebook' : 'folder'}-${folder.id}`;
}

export function personId(username: string): string {
  return `#user-${encodeURIComponent(username)}`;
}

/** The metadata descriptor: the consortium reads `version` and `sdPublisher` from it. */
export function descriptorEntity(exportedAt: string): Entity {
  return {
    '@id': 'ro-crate-metadata.json',
    '@type': 'CreativeWork',
    about: ref('./'),
    conformsTo: ref(crateSpecification),
    dateCreated: exportedAt,
    sdPublisher: ref(publisherId),
    version: elnVersion,
  };
}

/** The server that made the crate: elnport, at the address it serves. */
export function publisherEntity(manifest: ExportManifest): Entity {
  return {
    '@id': publisherId,
    '@type': 'Organization',
    name: 'elnport',
    description: `elnport ${manifest.appVersion}, exporting the lab notebook served at ${manifest.sourceUrl}`,
    url: manifest.sourceUrl,
  };
}

/** The root Dataset without its `hasPart`, which the builder streams after it. */
export function rootEntity(manifest: ExportManifest, exportedAt: string): Entity {
  const what = { USER: "a user's work", GROUP: "a group's work", SELECTION: 'a selection' }[manifest.scope];
  return {
    '@id': './',
    '@type': 'Dataset',
    name: `Export of ${what} by ${manifest.exportedBy} on ${manifest.exportDate}`,
    description: `Exported from ${manifest.sourceUrl} by ${manifest.exportedBy}: ${manifest.counts.documents} documents, ${manifest.counts.folders} folders and notebooks, ${manifest.counts.files} files.`,
    datePublished: exportedAt,
    identifier: manifest.archiveId,
  };
}

export function personEntity(user: ExportUser): Entity {
  return {
    '@id': personId(user.username),
    '@type': 'Person',
    name: `${user.firstName} ${user.lastName}`.trim() || user.username,
    givenName: user.firstName,
    familyName: user.lastName,
    email: user.email,
    identifier: user.username,
    ...(user.affiliation ? { affiliation: user.affiliation } : {}),
  };
}

/** A folder or notebook without its `hasPart`, which the builder streams after it. */
export function folderEntity(folder: ExportFolder): Entity {
  return {
    '@id': folderEntityId(folder),
    '@type': 'Dataset',
    name: folder.name,
    additionalType: folder.kind === 'NOTEBOOK' ? 'Notebook' : 'Folder',
    dateCreated: folder.created,
    dateModified: folder.modified,
  };
}

/** A file of the archive: the bytes at `path` (its media_ folder, or a copy beside a document). */
export function fileEntity(file: ExportFile, path: string): Entity {
  return {
    '@id': fileEntityId(path),
    '@type': 'File',
    name: file.name || file.fileName,
    encodingFormat: file.contentType || 'application/octet-stream',
    contentSize: String(file.size),
    sha256: file.sha256,
    description: file.caption,
    dateCreated: file.created,
    dateModified: file.modified,
  };
}

/** A page made for a document (its HTML, its XML, its form's XML), as rendered: size and sha256 of its bytes. */
export interface RenderedPage {
  path: string;
  size: number;
  sha256: string;
}

const pageKinds: { suffix: string; encodingFormat: string; describe: (name: string) => string }[] = [
  { suffix: '_form.xml', encodingFormat: 'application/xml', describe: (name) => `The form of "${name}", in RSpace's XML schema` },
  { suffix: '.xml', encodingFormat: 'application/xml', describe: (name) => `"${name}" in RSpace's XML schema (documentSchema.xsd)` },
  { suffix: '.html', encodingFormat: 'text/html', describe: (name) => `"${name}" as a page to read in a browser` },
];

function pageEntity(page: RenderedPage, documentName: string): Entity {
  const kind = pageKinds.find((k) => page.path.endsWith(k.suffix))!;
  return {
    '@id': fileEntityId(page.path),
    '@type': 'File',
    name: page.path.slice(page.path.lastIndexOf('/') + 1),
    encodingFormat: kind.encodingFormat,
    contentSize: String(page.size),
    sha256: page.sha256,
    description: kind.describe(documentName),
  };
}

/** The fields as one piece of HTML: each under its name when the form has more than one. */
function documentText(doc: ExportDocument, manifest: ExportManifest): string {
  const fields = doc.fields.map((f) => ({ name: f.name, html: fieldContentHtml(f, manifest.sourceUrl) }));
  if (fields.length === 1) return fields[0]!.html;
  return fields.map((f) => `<h2>${text(f.name)}</h2>\n${f.html}`).join('\n');
}

/**
 * A document's entities: its Dataset, its pages, and the files copied beside it (a file with a
 * media_ folder of its own is one entity of the archive, written with the gallery), and its
 * comments. A kept
 * earlier version is a Dataset of its own, part of the current one.
 */
export function documentEntities(doc: ExportDocument, pages: RenderedPage[], manifest: ExportManifest): Entity[] {
  const files = [...new Map(doc.fields.flatMap((f) => f.files).map((f) => [f.path, f])).values()];
  const copies = files.filter((f) => f.file.folder === null).map((f) => fileEntity(f.file, f.path));
  const mentioned = [...new Set(doc.fields.flatMap((f) => f.links).filter((l) => l.inArchive).map((l) => l.href))];
  const revisions = doc.revisionOf === null ? doc.otherVersions.filter((v) => !v.current) : [];
  const comments = doc.fields.flatMap((f) => f.comments).map((c): Entity => ({
    '@id': `#comment-${c.id}`,
    '@type': 'Comment',
    text: c.text,
    dateCreated: c.created,
    // A name as its source gave it: the writer of an imported comment may have no account here.
    author: { '@type': 'Person', name: c.author },
  }));
  const globalId = `SD${doc.id}`;
  const dataset: Entity = {
    '@id': documentEntityId(doc.folder),
    '@type': 'Dataset',
    name: doc.revisionOf === null ? doc.name : `${doc.name} (version ${doc.version})`,
    author: ref(personId(doc.owner.username)),
    dateCreated: doc.created,
    dateModified: doc.modified,
    identifier: globalId,
    url: `${manifest.sourceUrl}/globalId/${globalId}`,
    version: String(doc.version),
    genre: doc.form.name,
    ...(doc.tags.length ? { keywords: doc.tags.join(',') } : {}),
    // Who wrote an imported document where it came from: its author here is the importer.
    ...(doc.provenance?.authors.length ? { contributor: doc.provenance.authors.map((a) => ({ '@type': 'Person', ...a })) } : {}),
    text: documentText(doc, manifest),
    hasPart: [
      ...pages.map((p) => ref(fileEntityId(p.path))),
      ...files.map((f) => ref(fileEntityId(f.path))),
      ...revisions.map((v) => ref(documentEntityId(v.folder))),
    ],
    // A link between documents is `../doc_X-3/doc_X-3.html` from the document's own folder.
    ...(comments.length ? { comment: comments.map((c) => ref(c['@id'])) } : {}),
    ...(mentioned.length ? { mentions: mentioned.map((href) => ref(documentEntityId(href.split('/')[1]!))) } : {}),
  };
  return [dataset, ...pages.map((p) => pageEntity(p, doc.name)), ...copies, ...comments];
}
