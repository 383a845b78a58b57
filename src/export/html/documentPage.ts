import type { ExportDocument, ExportField, ExportFieldFile, ExportFieldLink, ExportManifest } from '../../domain/exportModel.js';
import type { Provenance } from '../../domain/model.js';
import { displayName, pathHref, text } from './escape.js';
import { fieldContentHtml } from './fieldContent.js';
import { formatSize, isInlineImage } from './format.js';
import { pageShell } from './layout.js';
import { icon, link, metaTable, owner, time } from './parts.js';

/** Every document folder, kept versions included, sits directly under the top folder. */
const root = '../';

function parentCell(doc: ExportDocument, manifest: ExportManifest, parentPagePath: string | undefined): string {
  const parent = doc.parent;
  if (!parent) return '<span class="muted">None</span>';
  const kind = parent.treeType === 'NOTEBOOK' ? 'notebook' : 'folder';
  const name = `${icon(root, kind)} ${text(displayName(parent.name))}`;
  if (parent.inArchive) return parentPagePath ? link(`${root}${pathHref(parentPagePath)}`, name) : name;
  const globalId = `${kind === 'notebook' ? 'NB' : 'FL'}${parent.id}`;
  return `${link(`${manifest.sourceUrl}/globalId/${globalId}`, name)} <span class="muted">(not in this export)</span>`;
}

function tags(doc: ExportDocument): string {
  if (doc.tags.length === 0) return '<span class="muted">None</span>';
  return `<ul class="tags">${doc.tags.map((t) => `<li>${text(t)}</li>`).join('')}</ul>`;
}

function mediaPageLink(attached: ExportFieldFile): string {
  const folder = attached.file.folder;
  return folder ? ` · ${link(`${root}${pathHref(`${folder}/${folder}.html`)}`, 'details')}` : '';
}

function attachment(attached: ExportFieldFile): string {
  const { file, href } = attached;
  const about = `${text(file.contentType || 'unknown type')}, ${text(formatSize(file.size))}`;
  if (isInlineImage(file.contentType)) {
    const caption = file.caption ? ` — ${text(file.caption)}` : '';
    return `<li><figure class="attachment">${link(href, `<img src="${text(href)}" alt="${text(file.name)}">`)}
<figcaption>${text(displayName(file.name))}${caption} <span class="muted">(${about})</span>${mediaPageLink(attached)}</figcaption></figure></li>`;
  }
  return `<li>${icon(root, 'file')} ${link(href, text(file.fileName))} <span class="muted">${about}</span>${mediaPageLink(attached)}</li>`;
}

function linkedDocument(target: ExportFieldLink): string {
  const where = target.inArchive ? '' : ' <span class="muted">(not in this export: opens the source server)</span>';
  return `<li>${icon(root, 'document')} ${link(target.href, text(displayName(target.name)))} <span class="muted">SD${target.id}</span>${where}</li>`;
}

function field(f: ExportField, manifest: ExportManifest): string {
  const content = f.content.trim() ? fieldContentHtml(f, manifest.sourceUrl) : '<p class="muted">Empty</p>';
  const attachments = f.files.length
    ? `\n<h3>Attachments</h3>\n<ul class="attachments">\n${f.files.map(attachment).join('\n')}\n</ul>`
    : '';
  const links = f.links.length
    ? `\n<h3>Linked documents</h3>\n<ul class="listing">\n${f.links.map(linkedDocument).join('\n')}\n</ul>`
    : '';
  return `<section class="field">
<h2>${text(displayName(f.name))}</h2>
<div class="field-content">
${content}
</div>${attachments}${links}
</section>`;
}

function comments(doc: ExportDocument): string {
  const all = doc.fields.flatMap((f) => f.comments.map((c) => ({ ...c, field: f.name })));
  const items = all.map((c) => `<li><p>${text(c.text)}</p><p class="muted">${text(c.author)}, ${time(c.created)}${doc.fields.length > 1 ? `, on ${text(displayName(c.field))}` : ''}</p></li>`);
  return `<section class="comments">
<h2>Comments</h2>
${items.length ? `<ul class="comments">\n${items.join('\n')}\n</ul>` : '<p class="muted">No comments</p>'}
</section>`;
}

/** An imported document's origin: the archive, its id there, and who wrote it (never its owner here). */
function importedFrom(provenance: Provenance): string {
  const authors = provenance.authors.map((a) => text(a.email ? `${a.name} <${a.email}>` : a.name)).join(', ');
  return `${text(provenance.archive)} (${text(provenance.sourceId)})${authors ? `, written by ${authors}` : ''}`;
}

/** Links to the document's other versions in the archive, oldest first. */
function versions(doc: ExportDocument): string {
  return [...doc.otherVersions]
    .sort((a, b) => a.version - b.version)
    .map((v) => link(`${root}${pathHref(`${v.folder}/${v.folder}.html`)}`, v.current ? `version ${v.version} (current)` : `version ${v.version}`))
    .join(', ');
}

/**
 * The page of one document, or of one kept earlier version of it. `parentPagePath` is the page of
 * the folder or notebook holding it (e.g. `Lab-book-11.html`), given when that folder is in the
 * archive.
 */
export function documentPage(doc: ExportDocument, manifest: ExportManifest, parentPagePath?: string): string {
  const name = displayName(doc.name);
  const globalId = `SD${doc.id}`;
  const revision = doc.revisionOf !== null;
  const subtitle = revision ? `Earlier version ${doc.version} of ${globalId}` : `${globalId} · version ${doc.version}`;
  const notice = revision
    ? `\n<p class="notice">This is earlier version ${doc.version} of ${globalId}, kept as revision history.</p>`
    : '';
  const parentNav = doc.parent?.inArchive && parentPagePath
    ? link(`${root}${pathHref(parentPagePath)}`, `Up to ${text(displayName(doc.parent.name))}`)
    : undefined;
  const body = `<article class="document">
<h1>${icon(root, 'document')} ${text(name)}</h1>
<p class="subtitle">${subtitle}</p>${notice}
${metaTable([
  ['Global id', globalId],
  ['Version', String(doc.version)],
  ['Form', text(doc.form.name)],
  ['Created', time(doc.created)],
  ['Last modified', time(doc.modified)],
  ['Owner', owner(doc.owner)],
  ['Folder', parentCell(doc, manifest, parentPagePath)],
  ['Tags', tags(doc)],
  ...(doc.otherVersions.length ? [['Other versions', versions(doc)] as [string, string]] : []),
  ...(doc.provenance ? [['Imported from', importedFrom(doc.provenance)] as [string, string]] : []),
])}
${doc.fields.map((f) => field(f, manifest)).join('\n')}
${comments(doc)}
</article>`;
  return pageShell(manifest, { title: revision ? `${name} (version ${doc.version})` : name, root, nav: parentNav, body });
}
