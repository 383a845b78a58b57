import type { ExportFile, ExportManifest } from '../../domain/exportModel.js';
import { displayName, pathHref, text } from './escape.js';
import { formatSize, isInlineImage } from './format.js';
import { pageShell } from './layout.js';
import { icon, link, metaTable, owner, time } from './parts.js';

/** The page beside a gallery file in its `media_` folder; the file's bytes are its sibling. */
export function mediaPage(file: ExportFile, manifest: ExportManifest): string {
  const name = displayName(file.name);
  const href = `./${pathHref(file.fileName)}`;
  const preview = isInlineImage(file.contentType)
    ? `\n<figure class="preview">${link(href, `<img src="${text(href)}" alt="${text(name)}">`)}${
      file.caption ? `<figcaption>${text(file.caption)}</figcaption>` : ''}</figure>`
    : '';
  const body = `<article class="media">
<h1>${icon('../', 'file')} ${text(name)}</h1>
<p class="subtitle">GL${file.id} · version ${file.version}</p>${preview}
<p class="download">${link(href, `Open ${text(file.fileName)}`)} <span class="muted">(${text(formatSize(file.size))})</span></p>
${metaTable([
  ['Global id', `GL${file.id}`],
  ['File name', text(file.fileName)],
  ['Caption', file.caption ? text(file.caption) : '<span class="muted">None</span>'],
  ['Content type', text(file.contentType || 'unknown')],
  ['Size', `${text(formatSize(file.size))} <span class="muted">(${file.size} bytes)</span>`],
  ['SHA-256', `<code>${text(file.sha256)}</code>`],
  ['Version', String(file.version)],
  ['Created', time(file.created)],
  ['Last modified', time(file.modified)],
  ['Owner', owner({ username: file.ownerUsername })],
])}
</article>`;
  return pageShell(manifest, { title: name, root: '../', body });
}
