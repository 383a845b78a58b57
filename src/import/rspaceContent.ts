import path from 'node:path';
import { Parser } from 'htmlparser2';
import { docMarker, fileMarker } from './source.js';

/** A file a field's metadata lists (`image-Info`, `attach-info`, `chemdoodle-info`, …), found in the archive. */
export interface ListedFile {
  /** The id RSpace gave it in that list: an image's gallery id, a chemical's or a sketch's own. */
  id: string;
  /** The list's item tag, `image-Info`, `chemdoodle-info`…: ids are unique only within one list. */
  list: string;
  name: string;
  path: string;
}

/** What a field's references can lead to in the archive. */
export interface ContentTargets {
  /** The document's folder: relative references start there. */
  folder: string;
  hasEntry(path: string): boolean;
  listed: readonly ListedFile[];
  /** A document's key by its RSpace id, or by the folder of its XML (`doc_X-5`). */
  documentById(id: string): string | undefined;
  documentByFolder(folder: string): string | undefined;
}

export interface RewrittenContent {
  content: string;
  /** Entry paths of the files it shows, in order of first mention. */
  files: string[];
  /** Keys of the documents it links to. */
  documents: string[];
  /** What could not be kept as it was meant, in words that follow the document's name. */
  problems: string[];
}

interface Node {
  name: string;
  attributes: Record<string, string>;
  start: number;
  /** Where the start tag ends; the element ends at `end`, or here when its end is not written. */
  openEnd: number;
  end: number | undefined;
  parent: Node | undefined;
  children: Node[];
}

// RSpace's editor chrome around attachments and comments: its own icons, not the scientist's files.
const chromeClasses = ['commentIcon', 'attachmentIcon', 'externalLinkBadge', 'attachmentInfoIcon', 'attachmentInfoDiv'];

function classes(node: Node): string[] {
  return (node.attributes.class ?? '').split(/\s+/).filter(Boolean);
}

function hasClass(node: Node, name: string): boolean {
  return classes(node).includes(name);
}

function within(node: Node, className: string): boolean {
  for (let at = node.parent; at; at = at.parent) if (hasClass(at, className)) return true;
  return false;
}

function parse(html: string): Node[] {
  const roots: Node[] = [];
  const open: Node[] = [];
  const parser: Parser = new Parser({
    onopentag(name, attributes) {
      const parent = open.at(-1);
      const node: Node = { name, attributes, start: parser.startIndex, openEnd: parser.endIndex + 1, end: undefined, parent, children: [] };
      (parent ? parent.children : roots).push(node);
      open.push(node);
    },
    onclosetag(_name, implied) {
      const node = open.pop();
      // An implied end (a void element, or one the HTML never closes) has no place of its own.
      if (node && !implied) node.end = parser.endIndex + 1;
    },
  });
  parser.end(html);
  return roots;
}

/** The entry a relative reference from `folder` names, or undefined for a URL, a server path or one leaving the archive. */
export function resolveReference(folder: string, reference: string | undefined): string | undefined {
  if (!reference || /^[a-z][a-z0-9+.-]*:/i.test(reference) || reference.startsWith('/') || reference.startsWith('#')) return undefined;
  const bare = reference.split('#')[0]!.split('?')[0]!;
  let decoded = bare;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    // RSpace writes names raw (spaces, `%` and all), so a reference that is not percent-encoding is taken as it is.
  }
  const joined = path.posix.normalize(path.posix.join(folder, decoded));
  return joined.startsWith('../') || joined === '..' || path.posix.isAbsolute(joined) ? undefined : joined;
}

function textOf(node: Node, html: string): string {
  const inner = html.slice(node.openEnd, node.end ?? node.openEnd).replace(/<[^>]*>/g, '');
  return inner.replace(/\s+/g, ' ').trim();
}

/**
 * Replaces every reference of a field's HTML to a file or document of the archive by a marker,
 * RSpace's and elnport's markup alike: `<img src="../media_X-5/x.png">`, an `attachmentDiv`'s
 * links, `/image/getImage/<field>-<image>/…`, `class="linkedRecord"`, `data-doc-id`, `data-file-id`.
 * A marker stands for the whole element (the importer renders a link or an image with its name).
 */
export function rewriteContent(html: string, targets: ContentTargets): RewrittenContent {
  const files: string[] = [];
  const documents: string[] = [];
  const problems: string[] = [];
  const edits: { start: number; end: number; text: string }[] = [];

  const listedByName = (name: string, lists?: string[]) =>
    targets.listed.find((f) => (lists === undefined || lists.includes(f.list)) && (f.name === name || path.posix.basename(f.path) === name));
  const listedById = (id: string | undefined, lists: string[]) => (id === undefined ? undefined : targets.listed.find((f) => f.id === id && lists.includes(f.list)));
  const fileAt = (reference: string | undefined): string | undefined => {
    const resolved = resolveReference(targets.folder, reference);
    if (resolved !== undefined && targets.hasEntry(resolved)) return resolved;
    if (resolved !== undefined && resolved === path.posix.join(targets.folder, path.posix.basename(resolved))) return listedByName(path.posix.basename(resolved))?.path;
    return undefined;
  };
  const replace = (node: Node, text: string) => edits.push({ start: node.start, end: node.end ?? node.openEnd, text });
  const showFile = (node: Node, file: string) => {
    if (!files.includes(file)) files.push(file);
    replace(node, fileMarker(file));
  };

  const imageFile = (node: Node): string | undefined => {
    const src = node.attributes.src;
    const direct = fileAt(src);
    if (direct) return direct;
    // `id="<field>-<image>"` and `/image/getImage/<field>-<image>/…`: the image's gallery id.
    const galleryId = /^\d+-(\d+)$/.exec(node.attributes.id ?? '')?.[1] ?? /\/image\/getImage\/\d+-(\d+)\//.exec(src ?? '')?.[1];
    const byGallery = listedById(galleryId, ['image-Info'])?.path;
    if (byGallery) return byGallery;
    if (hasClass(node, 'chem')) return listedById(node.attributes.id, ['chemdoodle-info'])?.path;
    if (hasClass(node, 'sketch')) return listedById(node.attributes.id, ['sketch-info'])?.path;
    return undefined;
  };

  const documentOf = (node: Node): { key: string | undefined; isLink: boolean } => {
    const href = node.attributes.href ?? '';
    const id =
      node.attributes['data-doc-id'] ??
      /\/globalId\/SD(\d+)$/.exec(href)?.[1] ??
      /\/structuredDocument\/(\d+)$/.exec(href)?.[1] ??
      (hasClass(node, 'linkedRecord') ? node.attributes.id : undefined);
    const resolved = resolveReference(targets.folder, href);
    const byFolder = resolved?.startsWith('doc') ? targets.documentByFolder(resolved.split('/')[0]!) : undefined;
    const key = byFolder ?? (id === undefined ? undefined : targets.documentById(id));
    return { key, isLink: key !== undefined || id !== undefined };
  };

  const decide = (node: Node): boolean => {
    if (chromeClasses.some((c) => hasClass(node, c)) || (node.name === 'img' && resolveReference(targets.folder, node.attributes.src)?.startsWith('resources/'))) {
      replace(node, '');
      return true;
    }
    if (node.name === 'img') {
      const file = imageFile(node);
      if (file) {
        if (hasClass(node, 'chem')) problems.push('has a chemical structure, imported as its image only');
        if (hasClass(node, 'sketch')) problems.push('has a sketch, imported as its image only');
        if (node.attributes['data-type'] === 'annotation') problems.push('has an annotated image, imported as the annotated picture only');
        showFile(node, file);
        return true;
      }
      const src = node.attributes.src ?? '';
      if (!/^(https?|data):/i.test(src)) problems.push(`shows an image that is not in the archive (${src}), kept as it was`);
      return false;
    }
    if (node.name === 'a') {
      const doc = documentOf(node);
      if (doc.key) {
        if (!documents.includes(doc.key)) documents.push(doc.key);
        replace(node, docMarker(doc.key));
        return true;
      }
      if (doc.isLink) {
        problems.push(`links to "${node.attributes['data-name'] || textOf(node, html)}", which is not in the archive; the link is kept as it was`);
        return false;
      }
      const file = fileAt(node.attributes.href);
      if (file) {
        // An attachment shows as an icon link and a named link to the same file: one marker is enough.
        if (within(node, 'attachmentDiv') && !hasClass(node, 'attachmentLinked')) replace(node, '');
        else showFile(node, file);
        return true;
      }
      if (hasClass(node, 'attachmentLinked') && node.attributes['data-externalfilestore']) {
        problems.push(`links to "${textOf(node, html)}" in ${node.attributes['data-externalfilestore']}, kept as a link`);
      }
      return false;
    }
    if (hasClass(node, 'rsEquation') || node.name === 'object') {
      const object = node.name === 'object' ? node : node.children.flatMap((c) => [c, ...c.children]).find((c) => c.name === 'object');
      const file = fileAt(object?.attributes.data) ?? listedById(node.attributes['data-mathid'], ['math-info'])?.path;
      if (file) {
        if (hasClass(node, 'rsEquation')) problems.push(`has an equation (${node.attributes['data-equation'] ?? ''}), imported as its image`);
        showFile(node, file);
        return true;
      }
    }
    return false;
  };

  const walk = (nodes: Node[]) => {
    for (const node of nodes) if (!decide(node)) walk(node.children);
  };
  walk(parse(html));
  if (edits.length === 0) return { content: html, files, documents, problems };
  const out: string[] = [];
  let copied = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    if (edit.start < copied) continue;
    out.push(html.slice(copied, edit.start), edit.text);
    copied = edit.end;
  }
  out.push(html.slice(copied));
  return { content: out.join(''), files, documents, problems };
}
