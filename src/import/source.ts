import type { Readable } from 'node:stream';

/**
 * What an archive holds, as a reader of RSpace XML or of `.eln` found it, before anything is
 * written: plain data in the source's order, with the source's own keys. The importer turns it
 * into records in one pass, so both readers are judged by what they put here and nothing else.
 */
export interface SourceArchive {
  format: 'rspace-xml' | 'eln';
  /** The archive's top level, in order. */
  items: SourceItem[];
  /** Gallery files that no document in the archive attaches. */
  galleryFiles: SourceFile[];
  /** What could not be represented or looked wrong, each naming the item; the import goes on. */
  warnings: string[];
}

export type SourceItem = SourceContainer | SourceDocument;

export interface SourceContainer {
  kind: 'FOLDER' | 'NOTEBOOK';
  /** Unique among the archive's items: the source's own id, as it is written there. */
  key: string;
  name: string;
  /** ISO 8601 in UTC (`2024-05-01T10:00:00.000Z`), when the source says and it can be read. */
  created?: string;
  modified?: string;
  /** In the source's order: a notebook's entries keep it. */
  children: SourceItem[];
}

export interface SourcePerson {
  /** As the source shows it: "Alice Smith", or a username when that is all it has. */
  name: string;
  givenName?: string;
  familyName?: string;
  email?: string;
  /** An ORCID or another identifier, as a URL where the source gives one. */
  identifier?: string;
}

export interface SourceField {
  name: string;
  /** RSpace's field types (`TEXT`, `STRING`, `NUMBER`, `DATE`, `CHOICE`, `RADIO`, `TIME`); `TEXT` when the source has none. */
  type: string;
  /** HTML. References to other items of the archive are markers (docMarker, fileMarker), not links. */
  content: string;
}

export interface SourceComment {
  text: string;
  author?: string;
  created?: string;
}

export interface SourceRevision {
  version: number;
  name: string;
  modified?: string;
  fields: SourceField[];
}

export interface SourceDocument {
  kind: 'DOCUMENT';
  key: string;
  /** What the source calls it, kept as provenance on the new document: `SD123`, a crate's `@id`. */
  sourceId: string;
  name: string;
  created?: string;
  modified?: string;
  tags: string[];
  /** The source's form (RSpace), matched by name when imported; none: a one-field Basic Document. */
  form?: { name: string; fields: { name: string; type: string }[] };
  /** At least one. */
  fields: SourceField[];
  /** Every file the document attaches, in order, whether or not a field's content shows it. */
  files: SourceFile[];
  /** Keys of other documents of the archive it links to, whether or not a field's content shows them. */
  mentions: string[];
  authors: SourcePerson[];
  comments: SourceComment[];
  /** Older versions, oldest first, when the source keeps them. */
  revisions: SourceRevision[];
}

export interface SourceFile {
  /** Unique among the archive's files. */
  key: string;
  /** Where its bytes are: an entry's path below the archive's top folder. */
  path: string;
  name: string;
  /** A MIME type; `application/octet-stream` when the source does not say. */
  contentType: string;
  /** The caption or description. */
  caption: string;
  created?: string;
  /** What the source declares, to be checked against the bytes. */
  size?: number;
  sha256?: string;
}

/**
 * Markers stand for a reference inside field HTML until the importer knows the new ids. Keys
 * are percent-encoded so that no key can end a marker or be read as markup; U+2063 (invisible
 * separator) is what the content rules strip from typed text, so no scientist's text holds one.
 */
export function docMarker(key: string): string {
  return `\u2063import-doc:${encodeURIComponent(key)}\u2063`;
}

export function fileMarker(key: string): string {
  return `\u2063import-file:${encodeURIComponent(key)}\u2063`;
}

const markers = /\u2063import-(doc|file):([^\u2063]*)\u2063/g;

/** Replaces every marker by what `replace` makes of its key (the importer: a placeholder of the new id, or the name as text). */
export function replaceMarkers(content: string, replace: (kind: 'doc' | 'file', key: string) => string): string {
  return content.replace(markers, (_m, kind: 'doc' | 'file', key: string) => replace(kind, decodeURIComponent(key)));
}

/** The keys a field's content refers to, in order of first mention. */
export function markedKeys(content: string, kind: 'doc' | 'file'): string[] {
  const keys = [...content.matchAll(markers)].filter((m) => m[1] === kind).map((m) => decodeURIComponent(m[2]!));
  return [...new Set(keys)];
}

/** One regular file of an archive. */
export interface ArchiveEntry {
  /** Below the archive's one top folder, `/`-separated, never absolute, never with `..`. */
  path: string;
  /** Uncompressed, as the archive declares it (and as reading it enforces). */
  size: number;
}

/**
 * An archive opened for reading, already checked against the import limits: what a reader sees.
 * Only regular files are listed; folders are implied by their paths.
 */
export interface ArchiveSource {
  /** The archive's top folder, '' for an archive that has none (RSpace's oldest). */
  top: string;
  entries: readonly ArchiveEntry[];
  /** The entry's bytes as text (UTF-8); rejects beyond `maxBytes`, for metadata that must fit in memory. */
  readText(path: string, maxBytes: number): Promise<string>;
  /** The entry's bytes, streamed. */
  open(path: string): Promise<Readable>;
}
