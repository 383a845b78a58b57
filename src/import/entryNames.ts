import { archiveRefused, type ElnportError } from '../domain/errors.js';

/**
 * How an entry's name in an uploaded archive becomes a path a reader can look up. Names are
 * checked as strictly as any extracting tool could read them, although the import itself never
 * writes a name to a file system: a name that would leave its folder in one tool is refused here.
 */

function refused(name: string, why: string): ElnportError {
  // Control characters are shown as escapes: a message must not carry a NUL or a line break.
  const shown = name.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return archiveRefused(`The archive's entry "${shown}" ${why}; nothing was imported`);
}

/**
 * The entry's name, checked, as `/`-separated segments in Unicode NFC, without the empty and `.`
 * segments some writers leave (eLabFTW's `.eln` has `folder//file` where its metadata says
 * `./folder/file`). macOS writes names decomposed (NFD), so NFC makes both spellings one.
 */
export function entryPath(name: string): string {
  if (name.includes('\0')) throw refused(name, 'has a NUL character in its name');
  // Windows reads a backslash as a folder separator, so `..\x` would leave the folder there.
  if (name.includes('\\')) throw refused(name, 'has a backslash in its name, which Windows reads as a folder separator');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refused(name, 'has an absolute path');
  if (name.split('/').includes('..')) throw refused(name, 'leaves its folder');
  const path = lookupPath(name);
  if (path === '') throw refused(name, 'has no name');
  return path;
}

/** The same normalisation for a path a reader asks for, which may come from metadata as `./a/b`; no check, as no such entry passed one. */
export function lookupPath(path: string): string {
  return path
    .normalize('NFC')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** What macOS's zip tool adds: resource forks under `__MACOSX/` and Finder's `.DS_Store`; nobody's work. */
export function isMacOsClutter(path: string): boolean {
  return path === '__MACOSX' || path.startsWith('__MACOSX/') || path === '.DS_Store' || path.endsWith('/.DS_Store');
}

/** The one first segment every path is below, or '' when there is none (some file sits at the root, or several tops). */
export function topFolder(paths: readonly string[]): string {
  const first = paths[0];
  if (first === undefined || !first.includes('/')) return '';
  const top = first.slice(0, first.indexOf('/'));
  return paths.every((p) => p.startsWith(`${top}/`)) ? top : '';
}
