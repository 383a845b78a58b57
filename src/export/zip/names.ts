/**
 * Entry names are checked before a byte of the entry is written: an archive must never hold a
 * name that extracts outside its folder (ARCHIVES.md, "Common to every format"), nor one that
 * bites on another system (issue 7, item 9), whichever exporter made it.
 */
import { segmentProblem } from '../../domain/archiveNames.js';

/** The name length is a 2-byte field of both headers (APPNOTE 4.3.7, 4.3.12). */
const maxNameBytes = 0xffff;

/**
 * Returns the name as it goes into the archive: a directory's with one trailing `/`. Throws an
 * Error naming the problem when the name is not a plain relative path.
 */
export function entryName(name: string, isDirectory: boolean): string {
  const problem = nameProblem(name, isDirectory);
  if (problem) throw new Error(`Zip entry name ${JSON.stringify(name)} ${problem}`);
  return isDirectory && !name.endsWith('/') ? `${name}/` : name;
}

function nameProblem(name: string, isDirectory: boolean): string | undefined {
  if (name === '' || (isDirectory && name === '/')) return 'is empty';
  if (name.includes('\0')) return 'contains NUL';
  // Windows tools read a backslash as a separator, which would let `a\..\..\x` escape.
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is absolute';
  if (!isDirectory && name.endsWith('/')) return "ends with '/' but is not a directory";
  const segments = (isDirectory ? name.replace(/\/$/, '') : name).split('/');
  if (segments.includes('..')) return "has a '..' segment";
  if (segments.some((segment) => segment === '' || segment === '.')) return "has an empty or '.' segment";
  // A lone surrogate would be written as U+FFFD, so the archive would hold another name.
  if (Buffer.from(name, 'utf8').toString('utf8') !== name) return 'is not well-formed Unicode';
  if (Buffer.byteLength(name, 'utf8') > maxNameBytes) return `is longer than ${maxNameBytes} bytes in UTF-8`;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) return `has a segment ${JSON.stringify(segment)} that ${problem}`;
  }
  return undefined;
}
