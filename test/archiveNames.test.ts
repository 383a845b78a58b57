import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { archiveName, documentFolder, entryFileName, folderPage, mediaFolder } from '../src/domain/archiveNames.js';
import { entryName } from '../src/export/zip/names.js';
import { bitingNames, portabilityProblems } from './support/portableNames.js';

/** Any text at all: every code point (lone surrogates too), weighted towards the ones that bite. */
const anyName = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom('.', ' ', 'CON', 'nul', 'COM', 'lpt', '¹', '\u202e', '\u2066', '\u061c', '\u0085', '\u0000', '/', '\\', ':', 'e\u0301', '👩‍🔬'),
  ),
  maxLength: 300,
});

describe('archive entry names are safe on Windows, macOS and Linux', () => {
  it('entryFileName prefixes device names, trims trailing dots and blanks, replaces controls and bidi marks', () => {
    const expected: [string, string][] = [
      ['CON', '_CON'],
      ['AUX', '_AUX'],
      ['NUL.txt', '_NUL.txt'],
      ['COM1', '_COM1'],
      ['LPT1.html', '_LPT1.html'],
      ['name.', 'name'],
      ['prn.tar.gz', '_prn.tar.gz'],
      ['com9.log', '_com9.log'],
      ['Lpt0', '_Lpt0'],
      ['COM¹.txt', '_COM¹.txt'],
      ['lpt³', '_lpt³'],
      ['CON .txt', '_CON .txt'],
      ['blank then dots . .', 'blank then dots'],
      ['\u202egnp.exe', '_gnp.exe'],
      ['left\u200eright\u200f.txt', 'left_right_.txt'],
      ['embed\u202a\u202b\u202c\u202d.txt', 'embed____.txt'],
      ['isolate\u2066\u2067\u2068\u2069.txt', 'isolate____.txt'],
      ['arabic\u061cmark.txt', 'arabic_mark.txt'],
      ['c1\u0085\u009bcontrols.txt', 'c1__controls.txt'],
      ['line\u2028break.txt', 'line_break.txt'],
      ['win<>:"|?*.txt', 'win_______.txt'],
      ['cafe\u0301 decomposed.txt', 'caf\u00e9 decomposed.txt'],
      ['tab\there\u0000\u007f', 'tab_here__'],
      ['a/b\\c', 'a_b_c'],
      ['...hidden', 'hidden'],
      ['..', 'file'],
      [' . ', 'file'],
      ['\ud800lone.txt', '_lone.txt'],
      // Not device names: something else before the dot, or a longer word.
      ['CONSOLE.txt', 'CONSOLE.txt'],
      ['COM10', 'COM10'],
      ['nul-1.txt', 'nul-1.txt'],
      ['gel image.png', 'gel image.png'],
      ['données été.csv', 'données été.csv'],
    ];
    assert.deepEqual(
      expected.map(([raw]) => [raw, entryFileName(raw)]),
      expected,
    );
  });

  it('every name of the list comes out safe, and the zip writer accepts it', () => {
    for (const raw of bitingNames) {
      const name = entryFileName(raw);
      assert.deepEqual(portabilityProblems(name), [], `${JSON.stringify(raw)} -> ${JSON.stringify(name)}`);
      assert.equal(entryName(`top/media_x-1/${name}`, false), `top/media_x-1/${name}`);
    }
  });

  it('a long name is cut under 255 bytes at a character, keeping its extension', () => {
    const long = entryFileName(`${'é'.repeat(150)}.png`);
    assert.ok(Buffer.byteLength(long) <= 200, `${Buffer.byteLength(long)} bytes`);
    assert.match(long, /^é+\.png$/);
    const emoji = entryFileName(`${'👩‍🔬'.repeat(40)}.csv`);
    assert.match(emoji, /^(👩‍🔬)+\.csv$/u, 'no emoji is split');
  });

  it('the zip writer refuses names that bite, so no exporter can forget to make them safe', () => {
    for (const raw of bitingNames) {
      if (raw.length > 200) continue;
      assert.throws(() => entryName(`top/${raw}`, false), /Zip entry name/, JSON.stringify(raw));
      assert.throws(() => entryName(`${raw}/x.txt`, false), /Zip entry name/, JSON.stringify(raw));
    }
    assert.throws(() => entryName(`top/${'x'.repeat(256)}`, false), /longer than 255 bytes/);
    assert.throws(() => entryName('top/CON/', true), /Windows device name/);
    assert.throws(() => entryName('top/\u202egnp.exe', false), /U\+202E/);
  });

  it('whatever the name, every segment the exporters make from it is safe (property)', () => {
    fc.assert(
      fc.property(anyName, fc.integer({ min: 1, max: 2 ** 53 - 1 }), (raw, id) => {
        const file = entryFileName(raw);
        const segments = [
          file,
          // A copy in a document's folder is named `<id>-<file>` when its name is taken.
          `${id}-${file}`,
          documentFolder(raw, id),
          documentFolder(raw, id, 3),
          mediaFolder(raw, id),
          folderPage(raw, id),
          archiveName(new Date(0), 'html', raw, 'Xy3k9Q-_abcdef').replace(/\.zip$/, ''),
        ];
        for (const segment of segments) {
          assert.deepEqual(portabilityProblems(segment), [], `${JSON.stringify(raw)} -> ${JSON.stringify(segment)}`);
          entryName(`top/${segment}`, false);
        }
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
