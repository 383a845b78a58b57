import { azInitial } from '../../domain/azOrder.js';
import type { ExportManifest } from '../../domain/exportModel.js';
import type { ArchiveContents, IndexedItem } from '../archiveContents.js';
import { displayName, text } from './escape.js';
import { streamedPage } from './layout.js';
import { concat, documentItem, fileItem, folderGlobalId, folderItem, joinWritten, section } from './listing.js';
import { icon, iconNames, link, metaTable, time, type IconName } from './parts.js';

const scopes: Record<ExportManifest['scope'], string> = {
  USER: "One person's work",
  GROUP: "A group's work",
  SELECTION: 'Records chosen one by one',
};

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/**
 * What manifest.txt says, in words for the person reading the page; its keys are for programs,
 * and the page points them there.
 */
function facts(m: ExportManifest): string {
  const rows: [string, string][] = [
    ['Exported by', text(m.exportedBy)],
    ['Exported on', text(m.exportDate)],
    ['Exported from', text(m.sourceUrl)],
    ['What was exported', scopes[m.scope]],
    ['Format', 'HTML: pages to read in any web browser, offline'],
    ['Documents exported', String(m.counts.documents)],
    ['Folders and notebooks exported', String(m.counts.folders)],
    ['Files exported', String(m.counts.files)],
    ['Records skipped', `${m.counts.skipped} <span class="muted">(deleted, or not readable by whoever exported)</span>`],
    ['Earlier versions', m.includeRevisionHistory ? 'Included, each on a page of its own' : 'Not included'],
    ['Linked documents', m.maxLinkLevel > 0 ? `Included up to ${plural(m.maxLinkLevel, 'link')} away` : 'Not included unless exported themselves'],
    ...(m.modifiedSince ? [['Changed since', time(m.modifiedSince)] as [string, string]] : []),
    ['Archive id', `<code>${text(m.archiveId)}</code>`],
    ['Made by', `elnport ${text(m.appVersion)}`],
  ];
  return `${metaTable(rows)}\n<p class="muted">The same facts for programs to read: ${link('manifest.txt', 'manifest.txt')}.</p>`;
}

/** The front page: the top of the archive (what is in no exported folder), then the export's facts. */
export function indexPage(contents: ArchiveContents): AsyncIterable<string> {
  const { manifest } = contents;
  const top = contents.folderContents(null);
  const lists = joinWritten(
    [section('Folders and notebooks', top.folders, folderItem), section('Documents', top.documents, documentItem), section('Files', top.files, fileItem)],
    '<p class="muted">This export holds no records.</p>',
  );
  // The work comes first: that is what a reader opens the archive for.
  const body = concat(
    `<h1>Export from ${text(manifest.sourceUrl)}</h1>
<p class="subtitle">Exported by ${text(manifest.exportedBy)} on ${text(manifest.exportDate)}</p>
`,
    lists,
    `
<p>${link('a-zIndex.html', 'Every item in the export, A–Z')}</p>
<section class="about">
<h2>About this export</h2>
${facts(manifest)}
</section>`,
  );
  return streamedPage(manifest, { title: `Export ${manifest.exportDate} from ${manifest.sourceUrl}`, root: '' }, body);
}

interface AzItem {
  name: string;
  href: string;
  kind: string;
  globalId: string;
}

function azEntry(item: IndexedItem): AzItem {
  switch (item.type) {
    case 'document': {
      const { id, name, folder } = item.document;
      return { name, href: `${folder}/${folder}.html`, kind: 'document', globalId: `SD${id}` };
    }
    case 'folder': {
      const { folder } = item;
      return { name: folder.name, href: folder.pagePath, kind: folder.kind === 'NOTEBOOK' ? 'notebook' : 'folder', globalId: folderGlobalId(folder) };
    }
    case 'file': {
      const { id, name, folder } = item.file;
      return { name, href: `${folder}/${folder}.html`, kind: 'file', globalId: `GL${id}` };
    }
  }
}

function azItem(item: AzItem): string {
  const kindIcon = iconNames.includes(item.kind as IconName) ? `${icon('', item.kind as IconName)} ` : '';
  return `<li>${kindIcon}${link(item.href, text(displayName(item.name)))} <span class="muted">${text(item.kind)} ${text(item.globalId)}</span></li>`;
}

const anchor = (letter: string) => `az-${letter === '#' ? 'other' : letter}`;

/**
 * Every exported item by name, in the order contents.byName() gives (azSortKey's), under its
 * letter (azInitial). The count and the letters come first on the page, so the items are read
 * twice: once for those, once for the lists; the order keeps each letter's items together.
 */
export async function* azIndexPage(contents: ArchiveContents): AsyncIterable<string> {
  let count = 0;
  const letters: string[] = [];
  for await (const item of contents.byName()) {
    count++;
    const letter = azInitial(azEntry(item).name);
    if (letters.at(-1) !== letter) letters.push(letter);
  }
  const jump = letters.map((l) => `<a href="#${anchor(l)}">${text(l)}</a>`).join(' ');
  const body = concat(
    `<h1>A–Z index</h1>
<p class="subtitle">${count} item${count === 1 ? '' : 's'} in this export</p>
`,
    count ? concat(`<nav class="letters" aria-label="Letters">${jump}</nav>\n`, lettered(contents)) : '<p class="muted">This export holds no records.</p>',
  );
  yield* streamedPage(contents.manifest, { title: 'A–Z index', root: '' }, body);
}

async function* lettered(contents: ArchiveContents): AsyncIterable<string> {
  let current: string | undefined;
  for await (const item of contents.byName()) {
    const entry = azEntry(item);
    const letter = azInitial(entry.name);
    const before = letter === current ? '\n' : `${current === undefined ? '' : '\n</ul>\n</section>\n'}<section>\n<h2 id="${anchor(letter)}">${text(letter)}</h2>\n<ul class="listing">\n`;
    current = letter;
    yield before + azItem(entry);
  }
  if (current !== undefined) yield '\n</ul>\n</section>';
}
