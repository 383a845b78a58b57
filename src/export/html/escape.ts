import { escapeHtml } from '../../domain/fieldContent.js';

/**
 * Every piece of text a page inserts itself (names, tags, captions, manifest values) goes
 * through `text`; the same escaping is safe inside a double-quoted attribute.
 */
export const text = escapeHtml;

export { pathHref } from '../../domain/archiveNames.js';

/** What a record is called on a page; an empty name would leave a link with nothing to click. */
export function displayName(name: string): string {
  return name.trim() === '' ? '(untitled)' : name;
}
