/**
 * Field content points at the live server: files as `/api/v1/files/N/file` with `data-file-id`,
 * documents as `/globalId/SDN` with `data-doc-id` (see fieldContent.ts). Inside an archive those
 * links must lead to the archive's own copies, or, for what is not in it, to the source server.
 */

const fileLink = /(<(?:img|a)\b[^>]*?\b(?:src|href)=")[^"]*("[^>]*\bdata-file-id="(\d+)")/g;
const fileLinkAttributeFirst = /(<(?:img|a)\b[^>]*?\bdata-file-id="(\d+)"[^>]*?\b(?:src|href)=")[^"]*(")/g;
const docLink = /(<a\b[^>]*?\bhref=")[^"]*("[^>]*\bdata-doc-id="(\d+)")/g;
const docLinkAttributeFirst = /(<a\b[^>]*?\bdata-doc-id="(\d+)"[^>]*?\bhref=")[^"]*(")/g;

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * Rewrites each reference's URL to `files.get(id)` / `documents.get(id)`; a file with no entry
 * keeps a link to `fallback(id)` on the source server, so no link ever points at nothing.
 */
export function rewriteContentLinks(
  html: string,
  files: Map<number, string>,
  documents: Map<number, string>,
  fallback: { file: (id: number) => string; document: (id: number) => string },
): string {
  const fileHref = (id: string) => escapeAttribute(files.get(Number(id)) ?? fallback.file(Number(id)));
  const docHref = (id: string) => escapeAttribute(documents.get(Number(id)) ?? fallback.document(Number(id)));
  return html
    .replace(fileLink, (_m, before: string, after: string, id: string) => `${before}${fileHref(id)}${after}`)
    .replace(fileLinkAttributeFirst, (_m, before: string, id: string, after: string) => `${before}${fileHref(id)}${after}`)
    .replace(docLink, (_m, before: string, after: string, id: string) => `${before}${docHref(id)}${after}`)
    .replace(docLinkAttributeFirst, (_m, before: string, id: string, after: string) => `${before}${docHref(id)}${after}`);
}
