import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { prepareEntry } from '../src/export/zip/prepared.js';

/**
 * prepareEntry encodes pages into a buffer it reuses and sizes deflate's output chunk to the
 * input (issue 9); an entry must still be what `zip -6` would store, however well it compresses.
 */
function expected(bytes: Buffer): { crc32: number; size: number; data: Buffer } {
  return { crc32: zlib.crc32(bytes), size: bytes.length, data: zlib.deflateRawSync(bytes, { level: 6 }) };
}

const page = '<p>Incubated at 37 °C for 2 h; OD600 🧪 measured every 30 min.</p>\n';
const samples: [string, string][] = [
  ['an empty page', ''],
  ['a short page', page],
  ['a page of 4 KiB', page.repeat(60)],
  // Deflates to more than half its size, so to more than one chunk.
  ['random text', randomBytes(300_000).toString('base64')],
  ['a lone surrogate', `a\uD800b${page}`],
  // Past the reused buffer, so encoded on its own.
  ['a page of 3 MB', (page + randomBytes(64).toString('hex')).repeat(20_000)],
];

describe('prepareEntry', () => {
  it('deflates a page to the bytes deflateRawSync makes at level 6, whatever its size', () => {
    for (const [what, text] of samples) {
      const bytes = Buffer.from(text, 'utf8');
      const entry = prepareEntry('p.html', text, true);
      assert.deepEqual({ crc32: entry.crc32, size: entry.size, data: Buffer.from(entry.data) }, expected(bytes), what);
      assert.deepEqual(Buffer.from(prepareEntry('p.html', bytes, true).data), expected(bytes).data, `${what}, given as bytes`);
    }
  });

  it('keeps each entry its own when pages are prepared one after another', () => {
    const entries = samples.map(([, text]) => prepareEntry('p.html', text, true));
    const stored = samples.map(([, text]) => prepareEntry('p.txt', text, false));
    samples.forEach(([what, text], i) => {
      assert.deepEqual(Buffer.from(entries[i]!.data), expected(Buffer.from(text, 'utf8')).data, what);
      assert.equal(Buffer.from(stored[i]!.data).toString('utf8'), text.replace('\uD800', '\uFFFD'), `${what}, stored`);
    });
  });
});
