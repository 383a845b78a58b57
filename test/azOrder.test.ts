import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { azInitial, azSortKey } from '../src/domain/azOrder.js';

/** The order the A–Z index had before it was sorted by the database (issue 9). */
const collator = new Intl.Collator('en', { sensitivity: 'accent', numeric: true });

const sign = (n: number) => Math.sign(n) + 0;
const byKey = (a: string, b: string) => {
  const [ka, kb] = [azSortKey(a), azSortKey(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Names from these pieces; leading blanks are left out, since the key ignores them by design. */
function names(pieces: string[]) {
  return fc.string({ unit: fc.constantFrom(...pieces), maxLength: 12 }).map((name) => name.trimStart());
}

const ascii = [...'abcxyzABCXYZ0123456789 '];
const accented = [...ascii, ...'éÉèêëàáâäåÅçñóöôøØúüíïłđħıæÆœßÿ', 'e\u0301', 'o\u0308\u0301', ...'-_.,()'];

function agreesWithCollator(pieces: string[]) {
  fc.assert(
    fc.property(names(pieces), names(pieces), (a, b) => {
      assert.equal(byKey(a, b), sign(collator.compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }),
    { numRuns: 20_000 },
  );
}

describe('azSortKey', () => {
  it('orders names of ASCII letters, digits and spaces as the collator does', () => {
    agreesWithCollator(ascii);
  });

  it('orders names with accents, letters such as ø, ß and ı, and punctuation as the collator does', () => {
    agreesWithCollator(accented);
  });

  it('puts "Day 2" before "Day 10", ignores case and sorts accents after the base letters', () => {
    const sorted = ['Day 10', 'day 2', 'Résumé', 'Day 1', 'resume', 'Day', 'Day 2b', 'Resumes', 'DAY 2A'].sort(byKey);
    assert.deepEqual(sorted, ['Day', 'Day 1', 'day 2', 'DAY 2A', 'Day 2b', 'Day 10', 'resume', 'Résumé', 'Resumes']);
    assert.equal(azSortKey('Gel ABC'), azSortKey('gel abc'));
  });

  it('ignores leading zeros, as the collator does', () => {
    assert.equal(azSortKey('Run 007'), azSortKey('Run 7'));
    assert.equal(azSortKey('0'), azSortKey('000'));
    assert.deepEqual(['Run 010', 'Run 9', 'Run 0', 'Run 08', 'Run 00'].sort(byKey), ['Run 0', 'Run 00', 'Run 08', 'Run 9', 'Run 010']);
  });

  it('orders numbers of any length by value, leading zeros or not', () => {
    const big = fc.bigInt({ min: 0n, max: 10n ** 600n });
    fc.assert(
      fc.property(big, big, fc.nat(5), fc.nat(5), (a, b, zerosA, zerosB) => {
        const name = (n: bigint, zeros: number) => `Sample ${'0'.repeat(zeros)}${n} end`;
        assert.equal(byKey(name(a, zerosA), name(b, zerosB)), a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 2_000 },
    );
    assert.equal(byKey('9'.repeat(5000), `1${'0'.repeat(5000)}`), -1);
    assert.equal(byKey(`x${'1'.repeat(4096)}`, `x${'2'.repeat(4095)}`), 1);
  });

  it('ignores leading blanks', () => {
    assert.equal(azSortKey('  \tZebra'), azSortKey('Zebra'));
  });

  it('keys of any text are BMP characters without surrogates, so JavaScript order is the databases\' byte order', () => {
    const anyText = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('👩‍🔬', 'e\u0301', '\u200b', '٣', 'Ⅻ', 'ﬁ')), maxLength: 30 });
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const [ka, kb] = [azSortKey(a), azSortKey(b)];
        for (const key of [ka, kb]) assert.ok([...key].every((c) => c.charCodeAt(0) < 0xd800 || c.charCodeAt(0) > 0xdfff), JSON.stringify(key));
        assert.equal(byKey(a, b), sign(Buffer.compare(Buffer.from(ka), Buffer.from(kb))));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('azInitial', () => {
  it('files a name under its first letter without accents, or under #', () => {
    const cases: [string, string][] = [
      ['apple', 'A'],
      ['Élan', 'E'],
      ['ørsted', 'O'],
      ['æther', 'A'],
      ['ﬁnal', 'F'],
      ['  zeta', 'Z'],
      ['2024 results', '#'],
      ['(draft)', '#'],
      ['αβγ', '#'],
      ['þorn', '#'],
      ['', '#'],
      ['   ', '#'],
    ];
    assert.deepEqual(cases.map(([name]) => [name, azInitial(name)]), cases);
  });

  it('is where the key starts, so each letter is one run of the index and # comes first', () => {
    const anyName = fc.string({ unit: fc.oneof(fc.constantFrom(...accented, 'α', 'Ж', '中', '€', '°'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 40 }), (list) => {
        const initials = list.sort(byKey).map((name) => {
          assert.equal(azSortKey(name)[0], azInitial(name));
          return azInitial(name);
        });
        const runs = initials.filter((initial, i) => initial !== initials[i - 1]);
        assert.deepEqual(runs, [...new Set(runs)].sort());
      }),
    );
  });
});
