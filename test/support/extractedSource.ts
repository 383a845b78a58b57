import fs from 'node:fs';
import path from 'node:path';
import type { ArchiveSource } from '../../src/import/source.js';
import { extract } from './archives.js';

/**
 * An archive unpacked by `unzip` (an independent reader) into a directory, seen as an
 * ArchiveSource: lets a reader's tests run on a fixture without the import's own unzip, which
 * has tests of its own.
 */
export function extractedSource(archive: string): ArchiveSource {
  const dir = extract(archive);
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      // macOS's zip tool adds resource forks under a second top folder; they are nobody's work.
      if (entry.name === '__MACOSX') continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) found.push(path.relative(dir, full).split(path.sep).join('/'));
    }
  };
  walk(dir);
  const tops = new Set(found.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const top = tops.size === 1 && !tops.has('') ? [...tops][0]! : '';
  const below = (p: string) => (top ? p.slice(top.length + 1) : p);
  const full = (p: string) => path.join(dir, top, p);
  return {
    top,
    entries: found.map((p) => ({ path: below(p), size: fs.statSync(path.join(dir, p)).size })),
    async readText(p, maxBytes) {
      const size = fs.statSync(full(p)).size;
      if (size > maxBytes) throw new Error(`${p} is ${size} bytes, over ${maxBytes}`);
      return fs.readFileSync(full(p), 'utf8');
    },
    async open(p) {
      return fs.createReadStream(full(p));
    },
  };
}
