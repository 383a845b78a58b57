/**
 * The order of an archive's A–Z index as a sort key, so that the database can sort a
 * 100,000-record plan (byte order in SQLite, COLLATE "C" in PostgreSQL) and the index is streamed
 * from it, never sorted in memory. Keys are compared by code point; every character of a key is
 * in the BMP and none is a surrogate, so JavaScript's `<` on keys is code-point order too.
 *
 * The order is that of `new Intl.Collator('en', { sensitivity: 'accent', numeric: true })`, which
 * the index used before (issue 9): case-insensitive, accents apart only as a tie-break after the
 * base letters, "Day 2" before "Day 10" (numbers of any length, leading zeros ignored). Where it
 * differs, by design: leading blanks are ignored, everything filed under '#' comes before the
 * letters (so each letter's items are one run of the index), and characters outside ASCII that are
 * neither letters nor accents (digits other than 0–9 among them) sort after ASCII punctuation, by
 * code point, rather than among it.
 *
 * A key is `azInitial(name)`, the primary part (base letters, numbers, punctuation), `\u0001`
 * (below every primary character, so a name sorts before the longer names it begins), then the
 * secondary part: per primary element, `\u0002` followed by its accents.
 */

/** Blanks and ASCII punctuation in the collator's order, which is not ASCII's. */
const signs = "\t\n\v\f\r\u0085 _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";
const signBase = 0x10;
const otherSign = '\u0040';
const numberMark = '\u0050';
const otherLetter = '\u007b';
/** The collator files dotless ı as a letter of its own between i and j: i, then a character above every letter. */
const dotlessI = 'i\u007c';
const secondaryStart = '\u0001';
const plainElement = '\u0002';
const unknownAccent = '\u0fff';

/**
 * Latin letters that do not decompose but that the collator files as a base letter (or two) with
 * a secondary difference, as if accented: the accent chosen, and the letter it sits on, give the
 * collator's order among the other accented forms (test/azOrder.test.ts compares them).
 */
const unaccented: Record<string, string> = {
  ø: 'o\u0338',
  ł: 'l\u0337',
  đ: 'd\u0335',
  ħ: 'h\u0335',
  æ: 'a\u0335e',
  œ: 'o\u0335e',
  ß: 'ss\u0335',
};

/**
 * The combining diacritics in the collator's secondary order, ties sharing a rank: that order
 * follows no code-point pattern (acute before grave, the stroke overlays late), so it is read
 * from the collator once.
 */
const accentRanks: Map<string, number> = (() => {
  const collator = new Intl.Collator('en', { sensitivity: 'accent' });
  const marks = Array.from({ length: 0x70 }, (_, i) => String.fromCharCode(0x300 + i)).sort((a, b) => collator.compare(`a${a}`, `a${b}`));
  const ranks = new Map<string, number>();
  let rank = 0;
  for (const [i, mark] of marks.entries()) {
    if (i > 0 && collator.compare(`a${marks[i - 1]}`, `a${mark}`) !== 0) rank++;
    ranks.set(mark, rank);
  }
  return ranks;
})();

/** A code point as two characters in U+1000–U+1FFF: fixed width keeps the order and is prefix-free. */
function codePoint(cp: number): string {
  return String.fromCharCode(0x1000 + (cp >> 12), 0x1000 + (cp & 0xfff));
}

/** A count of digits, of any size, as characters whose order is the number's order. */
function digitCount(count: number): string {
  if (count < 0x1000) return count ? String.fromCharCode(0x101, 0x1000 + count) : '\u0100';
  const chunks: number[] = [];
  for (let n = count; n > 0; n = Math.floor(n / 0x1000)) chunks.unshift(n % 0x1000);
  return String.fromCharCode(0x100 + chunks.length) + chunks.map((chunk) => String.fromCharCode(0x1000 + chunk)).join('');
}

function accent(mark: string): string {
  const rank = accentRanks.get(mark);
  return rank === undefined ? unknownAccent + codePoint(mark.codePointAt(0)!) : String.fromCharCode(0x03 + rank);
}

const letter = /^\p{L}$/u;
const mark = /^\p{M}$/u;
// What the collator ignores altogether: controls that are not blanks, format characters (U+200B).
const ignorable = /^[\p{Cc}\p{Cf}]$/u;

const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

interface Elements {
  primary: string;
  secondary: string;
  /** The first base letter when it is one of a to z. */
  initial: string | null;
}

/** What one character other than a digit adds to a key. */
function character(c: string): Elements {
  if (c >= 'a' && c <= 'z') return { primary: c, secondary: plainElement, initial: c };
  const expanded = unaccented[c];
  if (expanded) {
    const base = expanded.replace(/\p{M}/gu, '');
    return { primary: base, secondary: [...expanded].map((part) => (mark.test(part) ? accent(part) : plainElement)).join(''), initial: base[0]! };
  }
  if (c === 'ı') return { primary: dotlessI, secondary: plainElement, initial: 'i' };
  if (mark.test(c)) return { primary: '', secondary: accent(c), initial: null };
  const element = letter.test(c)
    ? otherLetter + codePoint(c.codePointAt(0)!)
    : signs.includes(c)
      ? String.fromCharCode(signBase + signs.indexOf(c))
      : ignorable.test(c)
        ? ''
        : otherSign + codePoint(c.codePointAt(0)!);
  return { primary: element, secondary: element && plainElement, initial: null };
}

/**
 * character() of each BMP character seen (at most 65,536): a plan of 100,000 records takes a key
 * for each name, names repeat their characters, and this keeps the Unicode regular expressions
 * out of the loop (about 2 µs of CPU for a 45-character name).
 */
const characters = new Map<number, Elements>();

function elements(name: string): Elements {
  const s = name.trimStart().toLowerCase().normalize('NFKD');
  let primary = '';
  let secondary = '';
  let initial: string | null = null;
  for (let i = 0; i < s.length; ) {
    const code = s.charCodeAt(i);
    let part: Elements;
    if (isDigit(code)) {
      let end = i + 1;
      while (end < s.length && isDigit(s.charCodeAt(end))) end++;
      while (i < end && s.charCodeAt(i) === 0x30) i++;
      part = { primary: numberMark + digitCount(end - i) + s.slice(i, end), secondary: plainElement, initial: null };
      i = end;
    } else {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      if (cp > 0xffff) {
        part = character(String.fromCodePoint(cp));
      } else {
        part = characters.get(cp) ?? character(String.fromCharCode(cp));
        characters.set(cp, part);
      }
    }
    if (!primary) initial = part.initial;
    primary += part.primary;
    secondary += part.secondary;
  }
  return { primary, secondary, initial };
}

/** The A–Z index's sort key of a name: see the top of this file. */
export function azSortKey(name: string): string {
  const { primary, secondary, initial } = elements(name);
  return (initial ? initial.toUpperCase() : '#') + primary + secondaryStart + secondary;
}

/** The letter a name is filed under in the A–Z index: its first letter without accents, or '#'. */
export function azInitial(name: string): string {
  // The first element is all it needs: a page lists 100,000 names, some of them long.
  const start = name.trimStart();
  for (let length = 16; ; length *= 2) {
    const { primary, initial } = elements(start.slice(0, length));
    if (primary || length >= start.length) return initial?.toUpperCase() ?? '#';
  }
}
