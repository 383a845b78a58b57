/** How things are named inside and outside an export archive (ARCHIVES.md, "Common to every format"). */

/** A record's name as a path segment: only `[A-Za-z0-9 _-]` kept, blanks and `_` as `-`, at most 50 characters. */
export function nameSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9 _-]/g, '').replace(/[ _]/g, '-').slice(0, 50);
}

export function documentFolder(name: string, id: number, revision?: number): string {
  return `doc_${nameSegment(name)}-${id}${revision === undefined ? '' : `-rev${revision}`}`;
}

export function mediaFolder(name: string, id: number): string {
  return `media_${nameSegment(name)}-${id}`;
}

export function folderPage(name: string, id: number): string {
  return `${nameSegment(name) || 'folder'}-${id}.html`;
}

/** An uploaded file's name as a zip entry's last segment: no separators, no control characters, no `..`. */
export function entryFileName(fileName: string): string {
  const cleaned = fileName
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_')
    .replace(/^\.+/, '')
    .trim();
  return cleaned.slice(0, 200) || 'file';
}

/** A path inside the archive as a link: each segment encoded, so `gel #1.png` is not a fragment. */
export function pathHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export const archiveNamePattern = /^[\w-]+\.(zip|eln)$/;

/**
 * `RSpace-<yyyy-MM-dd-HH-mm>-<format>-<scope>-<random>.zip`; `scopeLabel` is the user's name,
 * the group's name, the single record's name, or SELECTION.
 */
export function archiveName(at: Date, format: string, scopeLabel: string, random: string): string {
  const stamp = at.toISOString().slice(0, 16).replace(/[T:]/g, '-');
  const label = scopeLabel.replace(/[^A-Za-z0-9-]/g, '').slice(0, 50) || 'export';
  return `RSpace-${stamp}-${format}-${label}-${random}.zip`;
}
