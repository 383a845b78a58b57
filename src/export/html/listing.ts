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
