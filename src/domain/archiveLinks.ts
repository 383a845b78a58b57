import { globalId } from './globalIds.js';
import { editStartTags, idAttribute, mayHaveUrlAttribute, setAttribute, type StartTag } from './startTags.js';

/**
 * Field content points at the live server: files as `/api/v1/files/N/file` with `data-file-id`,
 * documents as `/globalId/SDN` with `data-doc-id` (see fieldContent.ts). Inside an archive those
 * links must lead to the archive's own copies, or, for what is not in it, to the source server.
 */
export interface ContentLinks {
  /** File id → its href from the page, for the files the archive holds. */
  files: Map<number, string>;
  /** Document id → its href from the page. */
  documents: Map<number, string>;
  /** Where what the archive does not hold is found, e.g. `https://eln.example.org`. */
  sourceUrl: string;
}

/**
 * Where a tag's reference leads from the archive, or undefined for a tag that references
 * nothing; a file the archive does not hold keeps a link to the source server, so no link ever
 * points at nothing.
 */
export function referenceHref(tag: StartTag, links: ContentLinks): string | undefined {
  const base = links.sourceUrl.replace(/\/+$/, '');
  const fileId = idAttribute(tag, 'data-file-id');
  if (fileId !== undefined) return links.files.get(fileId) ?? `${base}/globalId/${globalId('MEDIA', fileId)}`;
  const documentId = idAttribute(tag, 'data-doc-id');
  if (documentId !== undefined) return links.documents.get(documentId) ?? `${base}/globalId/${globalId('DOCUMENT', documentId)}`;
  return undefined;
}

/** Rewrites the href or src of every tag carrying a reference; nothing else changes, and HTML with neither is not parsed. */
export function rewriteContentLinks(html: string, links: ContentLinks): string {
  if (!mayHaveUrlAttribute(html)) return html;
  return editStartTags(html, (tag) => {
    const href = referenceHref(tag, links);
    if (href === undefined) return [];
    return tag.attributes.filter((a) => a.name === 'href' || a.name === 'src').map((a) => setAttribute(a, href));
  });
}
