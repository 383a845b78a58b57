import { escapeHtml } from '../../domain/fieldContent.js';

/**
 * Every piece of text a page inserts itself (names, tags, captions, manifest values) goes
 * through `text`; the same escaping is safe inside a double-quoted attribute.
 */
export const text = escapeHtml;

/** A path inside the archive as a link: each segment encoded, so `gel #1.png` is not a fragment. */
export function pathHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** What a record is called on a page; an empty name would leave a link with nothing to click. */
export function displayName(name: string): string {
  return name.trim() === '' ? '(untitled)' : name;
}
