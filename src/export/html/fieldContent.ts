import { rewriteContentLinks } from '../../domain/archiveLinks.js';
import type { ExportField } from '../../domain/exportModel.js';
import { sanitizeFieldHtml } from '../../domain/fieldContent.js';
import { text } from './escape.js';

// Sanitised HTML escapes < and > outside tags, so this finds the tags and only them; attribute
// values are always double-quoted by the sanitiser.
const tag = /<[^>]*>/g;
const urlAttribute = /(\s(?:href|src)=")([^"]*)"/g;
const withScheme = /^[a-z][a-z0-9+.-]*:/i;

/**
 * A link the sanitiser let through as relative (`/workspace/...`, `notes.html`) meant the live
 * server; unpacked from the archive it would point into the reader's disk. It goes to the
 * source server instead, like any reference the archive does not hold.
 */
function relativeToSource(html: string, sourceUrl: string): string {
  return html.replace(tag, (markup) =>
    markup.replace(urlAttribute, (whole, before: string, url: string) =>
      url === '' || url.startsWith('#') || withScheme.test(url) ? whole : `${before}${text(sourceUrl)}/${url.replace(/^\/+/, '')}"`));
}

/**
 * A field's HTML for its page. It is sanitised again because content stored under an older, looser
 * sanitiser must be held to today's rules; then its file and document references are pointed at
 * the archive's copies, or at the source server for what the archive does not hold.
 */
export function fieldContentHtml(field: ExportField, sourceUrl: string): string {
  const files = new Map(field.files.map((f) => [f.file.id, f.href]));
  const documents = new Map(field.links.map((l) => [l.id, l.href]));
  return rewriteContentLinks(relativeToSource(sanitizeFieldHtml(field.content), sourceUrl), files, documents, {
    file: (id) => `${sourceUrl}/globalId/GL${id}`,
    document: (id) => `${sourceUrl}/globalId/SD${id}`,
  });
}
