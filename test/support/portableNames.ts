/**
 * What makes an archive entry's name bite when it is extracted on Windows, macOS or Linux,
 * written out from the systems' rules rather than from src/domain/archiveNames.ts, so the tests
 * judge the exporters' names by an independent reading.
 */

/** The names Windows maps to devices (learn.microsoft.com, "Naming Files, Paths, and Namespaces"). */
const windowsDevice = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])$/i;

/** Every problem of each segment of `entry` (an empty list when the name is safe everywhere). */
export function portabilityProblems(entry: string): string[] {
  const problems: string[] = [];
  for (const segment of entry.replace(/\/$/, '').split('/')) {
    const say = (problem: string) => problems.push(`${JSON.stringify(segment)} ${problem}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(segment)) say('has a control character');
    if (/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(segment)) say('has a bidirectional control');
    if (/[<>:"\\|?*]/.test(segment)) say('has a character Windows forbids');
    // Windows ignores what follows the first dot, and blanks before it, when it looks for a device.
    if (windowsDevice.test(segment.split('.')[0]!.trimEnd())) say('is a Windows device name');
    if (/[. ]$/.test(segment)) say('ends with a dot or a blank, which Windows drops');
    if (Buffer.from(segment, 'utf8').toString('utf8') !== segment) say('is not well-formed Unicode');
    if (segment !== segment.normalize('NFC')) say('is not in NFC, so macOS and Linux may see two names');
    if (Buffer.byteLength(segment, 'utf8') > 255) say('is longer than the 255 bytes ext4 and APFS allow');
  }
  return problems;
}

/** Names that bite somewhere, as a careless or a hostile user uploads them (issue 7, item 9). */
export const bitingNames = [
  'CON',
  // Apart from CON only in case: one file on Windows and macOS.
  'con',
  'AUX',
  'NUL.txt',
  'COM1',
  'LPT1.html',
  'name.',
  'prn.tar.gz',
  'com9.log',
  'Lpt0',
  'COM¹.txt',
  'lpt³',
  'CON .txt',
  'blank then dots . .',
  '\u202egnp.exe',
  'left\u200eright\u200f.txt',
  'embed\u202a\u202b\u202c\u202d.txt',
  'isolate\u2066\u2067\u2068\u2069.txt',
  'arabic\u061cmark.txt',
  'c1\u0085\u009bcontrols.txt',
  'line\u2028break.txt',
  'win<>:"|?*.txt',
  'cafe\u0301 decomposed.txt',
  `${'é'.repeat(150)}.png`,
];
