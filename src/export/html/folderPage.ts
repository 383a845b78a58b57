import type { ExportFolder } from '../../domain/exportModel.js';
import type { ArchiveContents, ListedDocument } from '../archiveContents.js';
import { displayName, pathHref, text } from './escape.js';
import { streamedPage } from './layout.js';
import { concat, documentItem, folderGlobalId, folderIcon, folderItem, joinWritten, listOf, section } from './listing.js';
import { link, metaTable, owner, time } from './parts.js';

function parentLink(parent: ExportFolder, before: string): string {
  return link(`./${pathHref(parent.pagePath)}`, `${before} ${text(displayName(parent.name))}`);
}

/** A notebook is read in entry order: the list keeps the order it is given and numbers it. */
function entries(documents: AsyncIterable<ListedDocument>): AsyncIterable<string> {
  return concat(
    '<section>\n<h2>Entries</h2>\n',
    joinWritten([listOf(documents, documentItem, '<ol class="entries">\n', '\n</ol>')], '<p class="muted">No entries in this export.</p>'),
    '\n</section>',
  );
}

/**
 * The page of a folder or notebook, written as its lists are read. Its parent's page is linked
 * when the parent is in the archive too (`folder.parentId` is set): the folder carries only the
 * parent's id, and the page's path depends on the parent's name.
 */
export async function* folderPage(folder: ExportFolder, contents: ArchiveContents): AsyncIterable<string> {
  const parent = folder.parentId === null ? undefined : await contents.folder(folder.parentId);
  const { folders, documents } = contents.folderContents(folder.id);
  const notebook = folder.kind === 'NOTEBOOK';
  const name = displayName(folder.name);
  const globalId = folderGlobalId(folder);
  const subfolders = section('Folders', folders, folderItem);
  const head = `<article class="folder">
<h1>${folderIcon(folder)} ${text(name)}</h1>
<p class="subtitle">${notebook ? 'Notebook' : 'Folder'} ${globalId}</p>
${metaTable([
  ['Global id', globalId],
  ['Owner', owner({ username: folder.ownerUsername })],
  ['Created', time(folder.created)],
  ['Last modified', time(folder.modified)],
  ['In folder', parent ? parentLink(parent, folderIcon(parent)) : '<span class="muted">None in this export</span>'],
])}
`;
  const lists = notebook
    ? joinWritten([subfolders, entries(documents)])
    : joinWritten([subfolders, section('Documents', documents, documentItem)], '<p class="muted">Nothing in this folder was exported.</p>');
  yield* streamedPage(contents.manifest, { title: name, root: '', nav: parent && parentLink(parent, 'Up to') }, concat(head, lists, '\n</article>'));
}
