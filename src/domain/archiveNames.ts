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

/**
 * Characters no entry name may hold: what Windows forbids (`<>:"/\|?*`; a `:` would even open an
 * NTFS alternate stream), control characters (C0, DEL, C1), the line and paragraph separators,
 * the bidirectional controls that make `\u202Egnp.exe` show as `exe.png` (U+061C, U+200E–F,
 * U+202A–E, U+2066–9), and lone surrogates, which no file system can name.
 */
const forbiddenCharacter = /[\p{Cc}\p{Cs}<>:"/\\|?*\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

/**
 * Windows opens a device, not a file, for these names in any case, whatever follows a dot
 * (`nul.tar.gz` is NUL) and with blanks before it; it counts ¹²³ as digits here
 * (learn.microsoft.com, "Naming Files, Paths, and Namespaces").
 */
const windowsDevice = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]) *(?:\.|$)/iu;

/** Windows drops trailing dots and blanks, so `name.` would not extract under its own name. */
const trailingDotsAndBlanks = /[.\s]+$/u;

/** ext4, APFS and NTFS allow 255 bytes (or UTF-16 units, never more than UTF-8's bytes) in a name. */
const maxSegmentBytes = 255;

/**
 * Leaves room under `maxSegmentBytes` for the `<id>-` of a copy whose name is taken in its
 * document's folder, and for the `_` before a device name.
 */
const maxFileNameBytes = 200;

/**
 * What makes one segment of an entry's name bite on Windows, macOS or Linux, if anything; the zip
 * writer refuses such names, and entryFileName makes any uploaded name into one without.
 */
export function segmentProblem(segment: string): string | undefined {
  const forbidden = forbiddenCharacter.exec(segment)?.[0];
  if (forbidden !== undefined) return `holds U+${forbidden.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, a character some systems forbid or show misleadingly`;
  if (windowsDevice.test(segment)) return 'is a Windows device name';
  if (trailingDotsAndBlanks.test(segment)) return 'ends with a dot or a blank, which Windows drops';
  if (segment !== segment.normalize('NFC')) return 'is not in NFC, so macOS and Linux could see two names';
  if (Buffer.byteLength(segment, 'utf8') > maxSegmentBytes) return `is longer than ${maxSegmentBytes} bytes in UTF-8`;
  return undefined;
}

/** At most `maxBytes` of UTF-8, cut between two characters as a reader sees them (an emoji stays whole). */
function cutToBytes(text: string, maxBytes: number): string {
  let out = '';
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    if (Buffer.byteLength(out + segment, 'utf8') > maxBytes) break;
    out += segment;
  }
  return out;
}

/** A long name loses the end of its stem, not its extension, so it still opens with the right program. */
function shorten(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= maxFileNameBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  return cutToBytes(name.slice(0, name.length - extension.length), maxFileNameBytes - Buffer.byteLength(extension, 'utf8')) + extension;
}

/**
 * An uploaded file's name as a zip entry's last segment, safe to extract on Windows, macOS and
 * Linux (see segmentProblem) and as close to what the user typed as that allows: forbidden
 * characters become `_`, leading dots (hidden files, `..`) and blanks go, trailing dots and blanks
 * go, a device name gets a `_` before it (`_CON`, `_NUL.txt`), and the name is in NFC.
 */
export function entryFileName(fileName: string): string {
  const cleaned = fileName.replace(new RegExp(forbiddenCharacter, 'gu'), '_').normalize('NFC').replace(/^[.\s]+/u, '');
  const name = shorten(cleaned).replace(trailingDotsAndBlanks, '') || 'file';
  return windowsDevice.test(name) ? `_${name}` : name;
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
  // The consortium's files end in .eln (IANA: application/vnd.eln+zip); RSpace names its own so too.
  return `RSpace-${stamp}-${format}-${label}-${random}.${format === 'eln' ? 'eln' : 'zip'}`;
}
