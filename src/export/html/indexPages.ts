import type { ExportFile, ExportFolder, ExportManifest } from '../../domain/exportModel.js';
import { manifestText } from '../manifest.js';
import { displayName, text } from './escape.js';
import { pageShell } from './layout.js';
import { documentItem, fileItem, folderItem } from './listing.js';
import { icon, iconNames, link, type IconName } from './parts.js';

export interface TopLevel {
  folders: ExportFolder[];
  documents: { id: number; name: string; folder: string }[];
  files: ExportFile[];
}

export interface AzItem {
  name: string;
  href: string;
  kind: string;
  globalId: string;
}

/** The same keys, values and order as manifest.txt, so the page and the file never disagree. */
function manifestTable(manifest: ExportManifest): string {
  const rows = manifestText(manifest).trimEnd().split('\n').map((line) => {
    const colon = line.indexOf(':');
    return `<tr><th scope="row">${text(line.slice(0, colon))}</th><td>${text(line.slice(colon + 1))}</td></tr>`;
  });
  return `<table class="manifest">\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table>`;
}

function section(title: string, items: string[]): string {
  return items.length ? `<section>\n<h2>${title}</h2>\n<ul class="listing">\n${items.join('\n')}\n</ul>\n</section>` : '';
}

export function indexPage(manifest: ExportManifest, top: TopLevel): string {
  const contents = [
    section('Folders and notebooks', top.folders.map(folderItem)),
    section('Documents', top.documents.map(documentItem)),
    section('Files', top.files.map(fileItem)),
  ].filter(Boolean);
  const body = `<h1>Export from ${text(manifest.sourceUrl)}</h1>
<p class="subtitle">Exported by ${text(manifest.exportedBy)} on ${text(manifest.exportDate)}</p>
<section>
<h2>About this export</h2>
${manifestTable(manifest)}
</section>
${contents.join('\n') || '<p class="muted">This export holds no records.</p>'}
<p>${link('a-zIndex.html', 'Every item in the export, A–Z')}</p>`;
  return pageShell(manifest, { title: `Export ${manifest.exportDate} from ${manifest.sourceUrl}`, root: '', body });
}

// Case-insensitive, accents kept apart, and "Day 2" before "Day 10", as a reader expects.
const collator = new Intl.Collator('en', { sensitivity: 'accent', numeric: true });

/** The letter an item is filed under: its first letter without accents, or # for anything else. */
function initial(name: string): string {
  const first = name.trim().normalize('NFD').charAt(0).toUpperCase();
  return /[A-Z]/.test(first) ? first : '#';
}

function azItem(item: AzItem): string {
  const kindIcon = iconNames.includes(item.kind as IconName) ? `${icon('', item.kind as IconName)} ` : '';
  return `<li>${kindIcon}${link(item.href, text(displayName(item.name)))} <span class="muted">${text(item.kind)} ${text(item.globalId)}</span></li>`;
}

/** Every exported item by name; items with equal names keep the order they were given in. */
export function azIndexPage(items: AzItem[], manifest: ExportManifest): string {
  const sorted = [...items].sort((a, b) => collator.compare(a.name, b.name));
  const groups = new Map<string, AzItem[]>();
  for (const item of sorted) {
    const letter = initial(item.name);
    const group = groups.get(letter);
    if (group) group.push(item);
    else groups.set(letter, [item]);
  }
  const anchor = (letter: string) => `az-${letter === '#' ? 'other' : letter}`;
  const jump = [...groups.keys()].map((l) => `<a href="#${anchor(l)}">${text(l)}</a>`).join(' ');
  const lists = [...groups].map(([l, group]) => `<section>
<h2 id="${anchor(l)}">${text(l)}</h2>
<ul class="listing">
${group.map(azItem).join('\n')}
</ul>
</section>`);
  const body = `<h1>A–Z index</h1>
<p class="subtitle">${items.length} item${items.length === 1 ? '' : 's'} in this export</p>
${items.length ? `<nav class="letters" aria-label="Letters">${jump}</nav>\n${lists.join('\n')}` : '<p class="muted">This export holds no records.</p>'}`;
  return pageShell(manifest, { title: 'A–Z index', root: '', body });
}
