import type { ExportFile, ExportFolder } from '../../domain/exportModel.js';
import { displayName, pathHref, text } from './escape.js';
import { icon, link, time } from './parts.js';

/** List items for records, as seen from a page in the top folder (index.html, folder pages). */
const root = '';

export function folderIcon(folder: Pick<ExportFolder, 'kind'>): string {
  return icon(root, folder.kind === 'NOTEBOOK' ? 'notebook' : 'folder');
}

export function folderGlobalId(folder: Pick<ExportFolder, 'kind' | 'id'>): string {
  return `${folder.kind === 'NOTEBOOK' ? 'NB' : 'FL'}${folder.id}`;
}

export function folderItem(folder: ExportFolder): string {
  const name = link(`./${pathHref(folder.pagePath)}`, text(displayName(folder.name)));
  return `<li>${folderIcon(folder)} ${name} <span class="muted">${folderGlobalId(folder)}</span></li>`;
}

export function documentItem(doc: { id: number; name: string; folder: string; modified?: string }): string {
  const modified = doc.modified ? ` · modified ${time(doc.modified)}` : '';
  const name = link(`./${pathHref(`${doc.folder}/${doc.folder}.html`)}`, text(displayName(doc.name)));
  return `<li>${icon(root, 'document')} ${name} <span class="muted">SD${doc.id}${modified}</span></li>`;
}

/** A file without a folder of its own has no page to link to; it is named, not linked. */
export function fileItem(file: ExportFile): string {
  const label = text(displayName(file.name));
  const name = file.folder ? link(`./${pathHref(`${file.folder}/${file.folder}.html`)}`, label) : label;
  return `<li>${icon(root, 'file')} ${name} <span class="muted">GL${file.id} · ${text(file.fileName)}</span></li>`;
}

/**
 * Lists as long as the archive are written as they are read: these join streamed text as the
 * pages' `join('\n')` did, so that no page holds a whole list (issue 9).
 */

/** `open`, the items joined by '\n', then `close`; nothing at all when there are no items. */
export async function* listOf<T>(items: AsyncIterable<T>, item: (record: T) => string, open: string, close: string): AsyncIterable<string> {
  let empty = true;
  for await (const record of items) {
    yield empty ? open + item(record) : `\n${item(record)}`;
    empty = false;
  }
  if (!empty) yield close;
}

/** A titled list of records on a page, or nothing when there are none. */
export function section<T>(title: string, items: AsyncIterable<T>, item: (record: T) => string): AsyncIterable<string> {
  return listOf(items, item, `<section>\n<h2>${title}</h2>\n<ul class="listing">\n`, '\n</ul>\n</section>');
}

/** The parts that write anything, joined by '\n'; `otherwise` when none does. */
export async function* joinWritten(parts: AsyncIterable<string>[], otherwise = ''): AsyncIterable<string> {
  let written = false;
  for (const part of parts) {
    let started = false;
    for await (const piece of part) {
      if (!started && written) yield '\n';
      started = written = true;
      yield piece;
    }
  }
  if (!written) yield otherwise;
}

/** Text and streamed text, one after the other. */
export async function* concat(...parts: (string | AsyncIterable<string>)[]): AsyncIterable<string> {
  for (const part of parts) {
    if (typeof part === 'string') yield part;
    else yield* part;
  }
}
