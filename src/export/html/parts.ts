import { formatDate } from './format.js';
import { text } from './escape.js';

export type IconName = 'folder' | 'notebook' | 'document' | 'file';
export const iconNames: readonly IconName[] = ['folder', 'notebook', 'document', 'file'];

/** `root` leads from the page to the archive's top folder: '' or '../'. */
export function icon(root: string, name: IconName): string {
  return `<img class="icon" src="${root}resources/${name}.svg" alt="" width="16" height="16">`;
}

export function time(iso: string): string {
  return `<time datetime="${text(iso)}">${text(formatDate(iso))}</time>`;
}

/** A two-column table of facts about a record; labels are text, values are markup. */
export function metaTable(rows: [label: string, valueHtml: string][]): string {
  const body = rows.map(([label, value]) => `<tr><th scope="row">${text(label)}</th><td>${value}</td></tr>`).join('\n');
  return `<table class="meta">\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/**
 * An owner, the same on every page: "First Last (username)", or the username alone when that is
 * all a record carries.
 */
export function owner({ username, fullName = '' }: { username: string; fullName?: string }): string {
  if (!fullName.trim()) return text(username);
  return username ? `${text(fullName)} <span class="muted">(${text(username)})</span>` : text(fullName);
}

export function link(href: string, labelHtml: string): string {
  return `<a href="${text(href)}">${labelHtml}</a>`;
}
