import { metadataFile, readGraph, refs, types, type CrateGraph, type Entity } from './crateGraph.js';
import { documentContent, type PlacedDocument } from './crateContent.js';
import { contentTypeOf, dateOf, label, sizeOf } from './crateValues.js';
import type { ArchiveSource, SourceArchive, SourceContainer, SourceDocument, SourceFile, SourceItem } from './source.js';

/** A `.eln` is a crate: its metadata at the top of the archive's one folder. */
export function isElnArchive(source: ArchiveSource): boolean {
  return source.entries.some((e) => e.path === metadataFile);
}

/**
 * What a crate holds, in the order of its `hasPart` lists, walked depth first from the root.
 *
 * The rule for Datasets (read from all eleven exporters' crates):
 * - a Dataset with no Dataset among its parts is a DOCUMENT whose File parts are its files
 *   (eLabFTW's experiments, Kadi4Mat's records, datalab's items, SciLog's messages, …);
 * - a Dataset with Datasets among its parts is a FOLDER (a NOTEBOOK when typed `Book`, as
 *   SciLog's logbook is, so its entries keep their order). If it also has anything of its own
 *   beyond a name, dates and authors (text, description, properties, File parts — PASTA's
 *   project, SampleDB's object with its versions), that becomes the folder's first entry: a
 *   document of the same name, key `<@id>#content`, so nothing it says is lost;
 * - a Dataset part whose `identifier` is another Dataset of the crate and that has no parts of
 *   its own is a link to it (RSpace's `doc_A/doc_B`), read as a mention;
 * - a `Comment` (SciLog types them `Comment` and `Dataset`) is a comment, never an item.
 * An entity listed under several parents (PASTA's root lists every node again) is read where
 * the walk meets it first; the other listings are warned about. The root itself is not an item:
 * the import's own folder stands for it, and Files directly in it are gallery files.
 */
export async function readCrate(source: ArchiveSource): Promise<SourceArchive> {
  const graph = await readGraph(source);
  const walk: Walk = { graph, warnings: graph.warnings, placed: new Map(), documents: [], files: new Map() };
  walk.placed.set(graph.root['@id'], 'the root');
  const top = partsOf(graph.root, walk);
  const galleryFiles = top.files;
  const docKeys = new Map(walk.documents.map((d) => [d.entity['@id'], d.document.key]));
  for (const placed of walk.documents) documentContent(placed, { graph, docKeys, files: walk.files, warnings: walk.warnings });
  return { format: 'eln', items: top.items, galleryFiles, warnings: walk.warnings };
}

interface Walk {
  graph: CrateGraph;
  warnings: string[];
  /** Entity @id → where it was read, for the warning on a second listing. */
  placed: Map<string, string>;
  documents: PlacedDocument[];
  /** File @id → what it became. */
  files: Map<string, SourceFile>;
}

interface Parts {
  items: SourceItem[];
  files: SourceFile[];
  /** @ids of Datasets the parts link to rather than contain. */
  links: string[];
}

// Deeper than any notebook is organised, shallow enough that a hostile chain of Datasets cannot
// exhaust the stack.
const maxDepth = 100;

function partsOf(parent: Entity, walk: Walk, depth = 0): Parts {
  const parts: Parts = { items: [], files: [], links: [] };
  if (depth >= maxDepth && refs(parent.hasPart).length > 0) {
    walk.warnings.push(`${label(parent)} is nested more than ${maxDepth} Datasets deep; its parts are left out`);
    return parts;
  }
  for (const id of refs(parent.hasPart)) {
    const part = walk.graph.get(id);
    if (!part) {
      walk.warnings.push(`${label(parent)} lists ${id} as a part, but the crate does not describe it; left out`);
      continue;
    }
    const kinds = types(part);
    if (kinds.includes('Comment')) continue;
    if (isLink(part, walk.graph)) {
      parts.links.push(walk.graph.get(String(part.identifier))!['@id']);
      continue;
    }
    const where = walk.placed.get(part['@id']);
    if (where) {
      walk.warnings.push(`${label(part)} is also listed under ${label(parent)}; read once, under ${where}`);
      continue;
    }
    walk.placed.set(part['@id'], label(parent));
    if (kinds.includes('File')) {
      const file = fileOf(part, walk);
      if (file) parts.files.push(file);
    } else if (kinds.includes('Dataset')) {
      parts.items.push(datasetOf(part, walk, depth + 1));
    } else {
      walk.warnings.push(`${label(part)} (${kinds.join(', ') || 'no @type'}) is neither a Dataset nor a File; left out`);
    }
  }
  return parts;
}

function isLink(part: Entity, graph: CrateGraph): boolean {
  if (refs(part.hasPart).length > 0 || typeof part.identifier !== 'string') return false;
  const target = graph.get(part.identifier);
  return target !== undefined && target !== part && types(target).includes('Dataset');
}

// What a folder may carry without needing a document to say it.
const structural = new Set(['@id', '@type', '@context', 'name', 'dateCreated', 'dateModified', 'hasPart', 'author', 'creator', 'authors']);

function datasetOf(entity: Entity, walk: Walk, depth: number): SourceItem {
  const parts = partsOf(entity, walk, depth);
  const name = nameOf(entity, walk.warnings);
  if (parts.items.length === 0) return placeDocument(entity, entity['@id'], name, parts, walk);
  const ownContent = parts.files.length > 0 || parts.links.length > 0 || Object.keys(entity).some((k) => !structural.has(k) && !isEmpty(entity[k]));
  const container: SourceContainer = {
    kind: types(entity).includes('Book') ? 'NOTEBOOK' : 'FOLDER',
    key: entity['@id'],
    name,
    created: dateOf(entity, 'dateCreated', walk.warnings),
    modified: dateOf(entity, 'dateModified', walk.warnings),
    children: parts.items,
  };
  // The dates were warned about once, on the folder; the document reads them quietly.
  if (ownContent) container.children.unshift(placeDocument(entity, `${entity['@id']}#content`, name, parts, walk, []));
  return container;
}

function placeDocument(entity: Entity, key: string, name: string, parts: Parts, walk: Walk, dateWarnings = walk.warnings): SourceDocument {
  const document: SourceDocument = {
    kind: 'DOCUMENT',
    key,
    sourceId: entity['@id'],
    name,
    created: dateOf(entity, 'dateCreated', dateWarnings),
    modified: dateOf(entity, 'dateModified', dateWarnings),
    tags: [],
    fields: [],
    files: parts.files,
    mentions: [],
    authors: [],
    comments: [],
    revisions: [],
  };
  walk.documents.push({ entity, document, links: parts.links });
  return document;
}

function nameOf(entity: Entity, warnings: string[]): string {
  if (typeof entity.name === 'string' && entity.name.trim()) return entity.name.trim();
  const fallback = entity['@id'].replace(/\/+$/, '').split('/').pop() || entity['@id'];
  warnings.push(`${entity['@id']} has no name; named "${fallback}"`);
  return fallback;
}

function fileOf(entity: Entity, walk: Walk): SourceFile | undefined {
  const path = walk.graph.entryFor(entity['@id']);
  if (!path) {
    const why = /^[a-z][\w+.-]*:/i.test(entity['@id']) ? 'its @id is a URL, its bytes are not in the archive' : 'the archive has no entry for it';
    walk.warnings.push(`File ${label(entity)}: ${why}; left out`);
    return undefined;
  }
  const name = typeof entity.name === 'string' && entity.name.trim() ? entity.name.trim() : path.split('/').pop()!;
  const sha256 = typeof entity.sha256 === 'string' ? entity.sha256 : undefined;
  // Passed on all the same: the importer checks every declared sha256 against the bytes.
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256)) {
    walk.warnings.push(`File ${label(entity)}: sha256 ${JSON.stringify(sha256)} is not 64 hex digits`);
  }
  const file: SourceFile = {
    key: entity['@id'],
    path,
    name,
    contentType: contentTypeOf(entity.encodingFormat, name),
    caption: typeof entity.description === 'string' ? entity.description : '',
    created: dateOf(entity, 'dateCreated', walk.warnings),
    size: sizeOf(entity.contentSize),
    sha256,
  };
  walk.files.set(entity['@id'], file);
  return file;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}
