import { createRequire } from 'node:module';
import type SanitizeHtml from 'sanitize-html';

/**
 * Field content is HTML written by scientists. It is sanitised on the way in (formatting kept;
 * scripts, event handlers and script URLs removed), so every later reader, the API and every
 * exported page, can show it as it is. RSpace's `<fileId=N>` and `<docId=N>` placeholders become
 * markup carrying `data-file-id` / `data-doc-id`, which is also how references are found again.
 */

// Colours, lengths and names, and no function but a colour's: expression() runs script in old
// browsers and url() fetches from anywhere.
const safeStyle = /^(?:[#.,%\w\s-]|(?:rgba?|hsla?)\([\d\s.,%]*\))+$/i;

function sanitizeOptions(sanitizeHtml: typeof SanitizeHtml): SanitizeHtml.IOptions {
  return {
    allowedTags: [
      ...sanitizeHtml.defaults.allowedTags,
      'img', 'h1', 'h2', 'span', 'u', 's', 'del', 'ins', 'sub', 'sup', 'font', 'figure', 'figcaption',
    ],
    allowedAttributes: {
      a: ['href', 'name', 'title', 'target', 'rel', 'data-doc-id', 'data-file-id'],
      img: ['src', 'alt', 'title', 'width', 'height', 'data-file-id'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      font: ['color'],
      ol: ['start', 'type'],
      '*': ['class', 'style', 'id', 'lang', 'dir'],
    },
    allowedStyles: {
      '*': Object.fromEntries(
        [
          'color', 'background-color', 'text-align', 'font-weight', 'font-style', 'font-size', 'font-family',
          'text-decoration', 'vertical-align', 'width', 'height', 'margin-left', 'padding-left', 'border',
        ].map((property) => [property, [safeStyle]]),
      ),
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // A pasted <script> or <style> must vanish with its text, not leave the code visible.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'],
  };
}

/**
 * Names the rules above. Each field stores the version that cleaned it, so an export
 * re-sanitises only what was cleaned under other rules: change it whenever the options, the
 * placeholder handling below or the sanitize-html release (pinned to 2.17.x) change the output.
 */
export const sanitiserVersion = '2026-12-02';

/** What content stored before versions were recorded carries (and never equals a real version). */
export const unknownSanitiserVersion = 'unknown';

/**
 * Loaded by the first content to clean: an export's render threads import this module for its
 * escaping and clean only content stored under older rules, and sanitize-html (with postcss and a
 * second htmlparser2) was a large part of a new thread's start.
 */
let sanitizer: { clean: typeof SanitizeHtml; options: SanitizeHtml.IOptions } | undefined;

export function sanitizeFieldHtml(html: string): string {
  if (!sanitizer) {
    const clean = createRequire(import.meta.url)('sanitize-html') as typeof SanitizeHtml;
    sanitizer = { clean, options: sanitizeOptions(clean) };
  }
  return sanitizer.clean(html, sanitizer.options);
}

export interface References {
  fileIds: number[];
  documentIds: number[];
}

const filePlaceholder = /<fileId=(\d+)>/gi;
const docPlaceholder = /<docId=(\d+)>/gi;
const fileToken = /\u2063ELNPORT-FILE-(\d+)\u2063/g;
const docToken = /\u2063ELNPORT-DOC-(\d+)\u2063/g;
const fileAttribute = /\sdata-file-id="(\d+)"/g;
const docAttribute = /\sdata-doc-id="(\d+)"/g;
// Sanitised HTML escapes < and > everywhere outside tags, so this finds the tags and only them.
const tag = /<[^>]*>/g;

function idsOf(text: string, pattern: RegExp): number[] {
  return [...new Set([...text.matchAll(pattern)].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

export interface PreparedContent {
  /** Sanitised HTML with placeholders still to be turned into markup. */
  html: string;
  references: References;
}

/**
 * First half of reading field content: placeholders are protected as tokens the sanitiser keeps
 * as text, then the HTML is sanitised, and every reference (placeholder or existing markup) listed
 * so the caller can check each one exists and may be read before anything is written.
 */
export function prepareFieldContent(input: string): PreparedContent {
  const protectedHtml = input
    .replace(/\u2063/g, '')
    .replace(filePlaceholder, '\u2063ELNPORT-FILE-$1\u2063')
    .replace(docPlaceholder, '\u2063ELNPORT-DOC-$1\u2063');
  // A placeholder inside an attribute value is no reference: it goes back to being text there,
  // or it would later become markup inside the attribute.
  const html = sanitizeFieldHtml(protectedHtml).replace(tag, (markup) =>
    markup.replace(fileToken, '&lt;fileId=$1&gt;').replace(docToken, '&lt;docId=$1&gt;'));
  // Only markup carries references; the same words typed as text are just text.
  const tags = html.match(tag)?.join('') ?? '';
  return {
    html,
    references: {
      fileIds: [...new Set([...idsOf(html, fileToken), ...idsOf(tags, fileAttribute)])].sort((a, b) => a - b),
      documentIds: [...new Set([...idsOf(html, docToken), ...idsOf(tags, docAttribute)])].sort((a, b) => a - b),
    },
  };
}

export interface ReferencedFile {
  id: number;
  name: string;
  contentType: string;
}

export interface ReferencedDocument {
  id: number;
  name: string;
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** What a reader sees of sanitised field HTML, as one line of text: what search looks in. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] !== '#') return entities[name.toLowerCase()] ?? whole;
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    // The same as /\s+/ → ' ', without replacing every single space by itself: 6 times faster
    // on a field at the size limit (31 → 5 ms).
    .replace(/\s{2,}|[^\S ]/g, ' ')
    .trim();
}

const htmlSpecial = /[&<>"']/;
const htmlSpecials = new RegExp(htmlSpecial.source, 'g');

export function escapeHtml(text: string): string {
  // Most of what a page inserts (names, dates, ids) needs no escaping: tested first, 5,000
  // documents' pages spent 0.011 s escaping, not 0.032 s (issue 9).
  return htmlSpecial.test(text) ? text.replace(htmlSpecials, (c) => `&#${c.charCodeAt(0)};`) : text;
}

/**
 * Prepared content of an imported field, its references made this server's: the stand-in numbers
 * the importer gave the archive's files and documents become the new records' ids (unknown ones
 * are dropped), and `data-file-id` / `data-doc-id` markup that came in with the archive goes, since
 * its numbers name records of another server, which here may be anyone's.
 */
export function renumberImported(prepared: PreparedContent, files: Map<number, number>, documents: Map<number, number>): PreparedContent {
  const fileIds = new Set<number>();
  const documentIds = new Set<number>();
  const html = prepared.html
    .replace(tag, (markup) => markup.replace(fileAttribute, '').replace(docAttribute, ''))
    .replace(fileToken, (_m, n: string) => {
      const id = files.get(Number(n));
      if (id === undefined) return '';
      fileIds.add(id);
      return `\u2063ELNPORT-FILE-${id}\u2063`;
    })
    .replace(docToken, (_m, n: string) => {
      const id = documents.get(Number(n));
      if (id === undefined) return '';
      documentIds.add(id);
      return `\u2063ELNPORT-DOC-${id}\u2063`;
    });
  const sorted = (ids: Set<number>) => [...ids].sort((a, b) => a - b);
  return { html, references: { fileIds: sorted(fileIds), documentIds: sorted(documentIds) } };
}

/** Second half: tokens become markup; images are shown inline, other files linked. */
export function renderPlaceholders(
  html: string,
  files: Map<number, ReferencedFile>,
  documents: Map<number, ReferencedDocument>,
): string {
  return html
    .replace(fileToken, (_m, id: string) => {
      const file = files.get(Number(id));
      if (!file) return '';
      const name = escapeHtml(file.name);
      return file.contentType.startsWith('image/')
        ? `<img src="/api/v1/files/${id}/file" alt="${name}" data-file-id="${id}" />`
        : `<a href="/api/v1/files/${id}/file" data-file-id="${id}">${name}</a>`;
    })
    .replace(docToken, (_m, id: string) => {
      const doc = documents.get(Number(id));
      return doc ? `<a href="/globalId/SD${id}" data-doc-id="${id}">${escapeHtml(doc.name)}</a>` : '';
    });
}
