import { normaliseId, refs, types, type CrateGraph, type Entity } from './crateGraph.js';
import { plainText } from '../domain/fieldContent.js';
import { asHtml, looksLikeHtml, dateOf, describeValue, label, metadataRows, metadataTable, peopleOf, tagsOf, textOf } from './crateValues.js';
import { docMarker, fileMarker, type SourceComment, type SourceDocument, type SourceField, type SourceFile } from './source.js';

/** A document as the walk placed it, its content still to be read once every document has its key. */
export interface PlacedDocument {
  entity: Entity;
  document: SourceDocument;
  /** @ids of Datasets its parts link to (RSpace's linked documents). */
  links: string[];
}

export interface Placed {
  graph: CrateGraph;
  /** Dataset @id → the key of the document that stands for it. */
  docKeys: Map<string, string>;
  /** File @id → the file it became. */
  files: Map<string, SourceFile>;
  warnings: string[];
}

// Read into the model's own places; everything else an entity says goes to its Metadata field.
const modelled = new Set([
  '@id', '@type', '@context', 'name', 'text', 'description', 'encodingFormat', 'keywords', 'dateCreated', 'dateModified',
  'author', 'creator', 'authors', 'comment', 'mentions', 'hasPart', 'parentItem',
]);

/** Fills a placed document's fields, tags, people, comments and mentions from its entity. */
export function documentContent({ entity, document, links }: PlacedDocument, placed: Placed): void {
  const { graph } = placed;
  document.tags = tagsOf(entity);
  document.authors = peopleOf(entity, graph);
  document.comments = commentsOf(entity, placed);

  const mentions = new Set<string>();
  const elsewhere: string[] = [];
  for (const id of [...refs(entity.mentions), ...links]) {
    const target = graph.get(id);
    const key = target && placed.docKeys.get(target['@id']);
    if (key && key !== document.key) mentions.add(key);
    else if (!key) elsewhere.push(target ? describeValue({ '@id': id }, graph) : id);
  }

  const fields: SourceField[] = [];
  const text = textOf(entity.text, graph);
  if (text) fields.push({ name: 'Text', type: 'TEXT', content: linkMarkers(asHtml(text), placed, mentions) });
  const description = textOf(entity.description, graph);
  if (description) fields.push({ name: 'Description', type: 'TEXT', content: linkMarkers(asHtml(description), placed, mentions) });
  // Mentions of what is not a document here (BenchLineage's instruments, studies) are kept as names.
  const rows = metadataRows(entity, Object.keys(entity).filter((k) => !modelled.has(k)), graph);
  if (elsewhere.length > 0) rows.push(['mentions', elsewhere.join(', ')]);
  if (rows.length > 0) fields.push({ name: 'Metadata', type: 'TEXT', content: metadataTable(rows) });
  if (fields.length === 0) fields.push({ name: 'Text', type: 'TEXT', content: '' });
  document.fields = fields;
  document.mentions = [...mentions].filter((k) => k !== document.key);
}

function commentsOf(entity: Entity, placed: Placed): SourceComment[] {
  const { graph } = placed;
  const found = new Map<string, Entity>();
  for (const id of refs(entity.comment)) {
    const comment = graph.get(id);
    if (comment) found.set(comment['@id'], comment);
    else placed.warnings.push(`${label(entity)}: its comment ${id} is not in the crate; left out`);
  }
  // SampleDB leaves `comment` empty and points from each Comment to its item instead.
  for (const child of graph.childrenOf(entity['@id'])) if (types(child).includes('Comment')) found.set(child['@id'], child);
  const comments: SourceComment[] = [];
  for (const comment of found.values()) {
    const found = textOf(comment.text, graph);
    // Comments are plain text in the model; SciLog's are HTML.
    const text = found && (looksLikeHtml(found) ? plainText(found) : found.trim());
    if (!text) {
      placed.warnings.push(`${label(entity)}: comment ${comment['@id']} has no text; left out`);
      continue;
    }
    comments.push({ text, author: peopleOf(comment, graph)[0]?.name, created: dateOf(comment, 'dateCreated', placed.warnings) });
  }
  return comments;
}

const linkAttribute = /\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/i;
/** An image, or a link with what it encloses (links do not nest in HTML). */
const linkingElement = /<img\b[^>]*>|<a\b[^>]*>[\s\S]*?<\/a\s*>/gi;

/**
 * Links in a document's HTML to other documents or files of the crate become markers, each in
 * place of its whole element (the importer shows the file or the document by its name there; a
 * marker inside an attribute would be no reference). A link is to an entity when it is its @id in
 * any spelling (SciLog's `./<message>/<file>.jpeg`), or, for eLabFTW's
 * `app/download.php?…&f=<alternateName>`, when a query value is a File's alternateName.
 */
export function linkMarkers(html: string, placed: Placed, mentions: Set<string>): string {
  return html.replace(linkingElement, (element) => {
    const found = linkAttribute.exec(element.slice(0, element.indexOf('>') + 1));
    if (!found) return element;
    const href = (found[1] ?? found[2] ?? '').replace(/&amp;/g, '&');
    return markerFor(href, placed, mentions) ?? element;
  });
}

function markerFor(href: string, placed: Placed, mentions: Set<string>): string | undefined {
  const target = href && placed.graph.get(href);
  if (target) {
    const file = placed.files.get(target['@id']);
    if (file) return fileMarker(file.key);
    const key = placed.docKeys.get(target['@id']);
    if (key) {
      mentions.add(key);
      return docMarker(key);
    }
  }
  const query = href.indexOf('?');
  if (query < 0) return undefined;
  const values = new Set([...new URLSearchParams(href.slice(query + 1)).values()].map(normaliseId));
  for (const file of placed.files.values()) {
    const alternate = placed.graph.get(file.key)?.alternateName;
    if (typeof alternate === 'string' && values.has(normaliseId(alternate))) return fileMarker(file.key);
  }
  return undefined;
}
