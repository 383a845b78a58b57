import type { ExportFile, ExportFolder, ExportManifest } from '../../domain/exportModel.js';
import { displayName, text } from './escape.js';
import { pageShell } from './layout.js';
import { documentItem, fileItem, folderItem } from './listing.js';
import { icon, iconNames, link, metaTable, time, type IconName } from './parts.js';

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

function section(title: string, items: string[]): string {
  return items.length ? `<section>\n<h2>${title}</h2>\n<ul class="listing">\n${items.join('\n')}\n</ul>\n</section>` : '';
}

export function indexPage(manifest: ExportManifest, top: TopLevel): string {
  const contents = [
    section('Folders and notebooks', top.folders.map(folderItem)),
    section('Documents', top.documents.map(documentItem)),
    section('Files', top.files.map(fileItem)),
  ].filter(Boolean);
  // The work comes first: that is what a reader opens the archive for.
  const body = `<h1>Export from ${text(manifest.sourceUrl)}</h1>
<p class="subtitle">Exported by ${text(manifest.exportedBy)} on ${text(manifest.exportDate)}</p>
${contents.join('\n') || '<p class="muted">This export holds no records.</p>'}
<p>${link('a-zIndex.html', 'Every item in the export, A–Z')}</p>
<section class="about">
<h2>About this export</h2>
${facts(manifest)}
</section>`;
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
