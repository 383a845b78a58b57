import type { ExportFolder, ExportFolderPage, ExportManifest } from '../../domain/exportModel.js';
import { displayName, pathHref, text } from './escape.js';
import { pageShell } from './layout.js';
import { documentItem, folderGlobalId, folderIcon, folderItem } from './listing.js';
import { link, metaTable, owner, time } from './parts.js';

export type FolderParent = Pick<ExportFolder, 'name' | 'kind' | 'pagePath'>;

function parentLink(parent: FolderParent, before: string): string {
  return link(`./${pathHref(parent.pagePath)}`, `${before} ${text(displayName(parent.name))}`);
}

/**
 * The page of a folder or notebook. `parent` is the folder holding it, when that folder is in the
 * archive too (`page.folder.parentId` is set): the model carries only its id, and its page's path
 * depends on its name.
 */
export function folderPage(page: ExportFolderPage, manifest: ExportManifest, parent?: FolderParent): string {
  const { folder, subfolders, documents } = page;
  const notebook = folder.kind === 'NOTEBOOK';
  const name = displayName(folder.name);
  const globalId = folderGlobalId(folder);
  const sections: string[] = [];
  if (subfolders.length) {
    sections.push(`<section>\n<h2>Folders</h2>\n<ul class="listing">\n${subfolders.map(folderItem).join('\n')}\n</ul>\n</section>`);
  }
  if (notebook) {
    // A notebook is read in entry order: the list keeps the order it is given and numbers it.
    const entries = documents.length
      ? `<ol class="entries">\n${documents.map(documentItem).join('\n')}\n</ol>`
      : '<p class="muted">No entries in this export.</p>';
    sections.push(`<section>\n<h2>Entries</h2>\n${entries}\n</section>`);
  } else if (documents.length) {
    sections.push(`<section>\n<h2>Documents</h2>\n<ul class="listing">\n${documents.map(documentItem).join('\n')}\n</ul>\n</section>`);
  }
  if (!notebook && !subfolders.length && !documents.length) sections.push('<p class="muted">Nothing in this folder was exported.</p>');
  const body = `<article class="folder">
<h1>${folderIcon(folder)} ${text(name)}</h1>
<p class="subtitle">${notebook ? 'Notebook' : 'Folder'} ${globalId}</p>
${metaTable([
  ['Global id', globalId],
  ['Owner', owner({ username: folder.ownerUsername })],
  ['Created', time(folder.created)],
  ['Last modified', time(folder.modified)],
  ['In folder', parent ? parentLink(parent, folderIcon(parent)) : '<span class="muted">None in this export</span>'],
])}
${sections.join('\n')}
</article>`;
  return pageShell(manifest, { title: name, root: '', nav: parent && parentLink(parent, 'Up to'), body });
}
