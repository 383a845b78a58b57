import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { assertValidEln, elnProblems, elnRules, type ElnProblem, type ElnRule } from './support/elnRules.js';
import { tempDir } from './support/tempDirs.js';

/**
 * The .eln rules checker that every .eln our tests write goes through (issue 11, item 4) is
 * itself tested here: on the consortium members' real files, where it must find exactly what is
 * wrong with each and nothing more, and on small crates made here that break one rule at a time,
 * so that every rule is seen to fail at least once and a correct crate is seen to pass.
 */

const fixtures = path.resolve('../shared/fixtures/eln');

function counts(problems: ElnProblem[]): Record<string, number> {
  const byRule: Record<string, number> = {};
  for (const { rule } of problems) byRule[rule] = (byRule[rule] ?? 0) + 1;
  return byRule;
}

/**
 * What each fixture breaks, each checked by hand against the file. The `schema` failures are all
 * `format: date-time` on dateCreated and dateModified, except RSpace's two keyword arrays: times
 * without a zone (`2025-09-30T13:59:35.471250`), a space for the T (AI4Green), dates alone
 * (goldStandard's `2022-08-25`), and RSpace's `07:12:23:16:11:11` (day, month, year, time).
 */
const expected: Record<string, Partial<Record<ElnRule, number>>> = {
  // Its root Dataset is only @id, @type and hasPart; dates like "2024-08-27 11:01:48".
  'AI4Green__Export_workbook-2024-08-27-export.eln': { 'root-name': 1, 'root-datePublished': 1, schema: 7 },
  'BenchLineage__benchlineage-0.3.0-demo.eln': {},
  'OpenSemanticLab__MinimalExample.osl.eln': {},
  'PASTA__PASTA.eln': { schema: 37 },
  // 15 Files, every sha256 wrong: MD5-length hex, or the tail of the file's name.
  'PASTA__goldStandard.eln': { 'file-sha256': 15, schema: 6 },
  // No version; 8 Files and 4 Datasets without name; keywords as arrays.
  'RSpace__RSpace-2023-12-08-14-44-xml-SELECTION-c0bEtpHcnNe-HA.eln': {
    'descriptor-version': 1,
    'file-name': 8,
    'dataset-name': 4,
    'keywords-array': 2,
    schema: 14,
  },
  'SampleDB__sampledb_export.eln': { schema: 11 },
  'SciLog__export-2026-06-05.eln': { 'descriptor-version': 1 },
  // Entities repeated whole in @graph; its version is on the root Dataset, not the descriptor.
  'datalab__demo_IBPDKL.eln': { 'graph-duplicate-id': 4, 'descriptor-version': 1 },
  // Its two files are zipped as `folder//name`.
  'elabftw__export.eln': { 'zip-empty-segment': 2 },
  'kadi4mat__collections-example.eln': {},
  'kadi4mat__records-example.eln': {},
};

describe('.eln rules on the consortium fixtures', () => {
  it('has an expectation for every fixture there is', () => {
    assert.deepEqual(fs.readdirSync(fixtures).filter((f) => f.endsWith('.eln')).sort(), Object.keys(expected).sort());
  });

  for (const [fixture, rules] of Object.entries(expected)) {
    it(`${fixture} breaks ${JSON.stringify(rules)}`, async () => {
      assert.deepEqual(counts(await elnProblems(path.join(fixtures, fixture))), rules);
    });
  }

  it('names the goldStandard file whose sha256 is wrong, with both digests', async () => {
    const problems = await elnProblems(path.join(fixtures, 'PASTA__goldStandard.eln'), { schema: false });
    const jpeg = problems.find((p) => p.detail.startsWith('File 1H_NMR-1H/1H.jpeg:'));
    assert.ok(jpeg, JSON.stringify(problems));
    assert.match(jpeg.detail, /"fe6477d2f26890e50ac129f238f93c79".*8064499073f4eeb2ac90689b0a6e5674b53479ff7b885dec247b5f578660c4ec/);
  });

  it('leaves out what options turn off', async () => {
    assert.deepEqual(await elnProblems(path.join(fixtures, 'PASTA__goldStandard.eln'), { schema: false, checksums: false }), []);
    assert.deepEqual(await elnProblems(path.join(fixtures, 'PASTA__PASTA.eln'), { schema: false }), []);
  });
});

// --- Crates made here ---------------------------------------------------------------------

const notes = 'Notes of the first experiment.\n';
const notesId = './experiment/notes%201.txt';

/** A small crate that keeps every rule: a folder Dataset with one file in the zip and one on the web. */
function validDocument(): any {
  return {
    '@context': 'https://w3id.org/ro/crate/1.1/context',
    '@graph': [
      {
        '@id': 'ro-crate-metadata.json',
        '@type': 'CreativeWork',
        about: { '@id': './' },
        conformsTo: { '@id': 'https://w3id.org/ro/crate/1.1' },
        version: '1.0',
        sdPublisher: { '@id': 'https://example.org/elnport' },
      },
      { '@id': './', '@type': 'Dataset', name: 'Minimal', datePublished: '2024-05-01T10:00:00Z', hasPart: [{ '@id': './experiment/' }] },
      {
        '@id': './experiment/',
        '@type': 'Dataset',
        name: 'Experiment 1',
        keywords: 'buffer,ph',
        dateCreated: '2024-05-01T10:00:00Z',
        hasPart: [{ '@id': notesId }, { '@id': 'https://example.org/data.csv' }],
      },
      {
        '@id': notesId,
        '@type': 'File',
        name: 'notes 1.txt',
        encodingFormat: 'text/plain',
        contentSize: Buffer.byteLength(notes),
        sha256: createHash('sha256').update(notes).digest('hex'),
      },
      { '@id': 'https://example.org/data.csv', '@type': 'File', name: 'data.csv' },
      { '@id': 'https://example.org/elnport', '@type': 'Organization', name: 'elnport', url: 'https://example.org/elnport' },
    ],
  };
}

interface Draft {
  /** Written as JSON; a string is written as it is; undefined leaves ro-crate-metadata.json out. */
  document: any;
  /** Zip entry names, exactly as they will be in the zip, and their text. */
  entries: Map<string, string>;
}

function byId(draft: Draft, id: string): any {
  return draft.document['@graph'].find((e: any) => e['@id'] === id);
}

// Python's zipfile takes any name through ZipInfo, `..` and leading slashes included, which `zip` will not.
const writer = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    for name, text in json.load(sys.stdin):
        z.writestr(zipfile.ZipInfo(name, (2024, 5, 1, 10, 0, 0)), text)
`;

/** The valid crate as a .eln, after `edit`. Entries are stored, not deflated, so a test can spoil their bytes. */
function crafted(edit: (draft: Draft) => void = () => {}): string {
  const draft: Draft = { document: validDocument(), entries: new Map([['minimal/experiment/notes 1.txt', notes]]) };
  edit(draft);
  const metadata = typeof draft.document === 'string' ? draft.document : JSON.stringify(draft.document, null, 1);
  const entries = draft.document === undefined ? [...draft.entries] : [['minimal/ro-crate-metadata.json', metadata], ...draft.entries];
  const file = path.join(tempDir('elnport-eln-rules-'), 'minimal.eln');
  execFileSync('python3', ['-c', writer, file], { input: JSON.stringify(entries) });
  return file;
}

async function rulesBroken(file: string): Promise<ElnRule[]> {
  return (await elnProblems(file)).map((p) => p.rule).sort();
}

describe('.eln rules on crates made here', () => {
  it('finds nothing wrong with a correct crate, which also passes unzip -t and zipfile', async () => {
    const file = crafted();
    assert.deepEqual(await elnProblems(file), []);
    await assertValidEln(file);
  });

  it('fails with every problem listed', async () => {
    const file = crafted((d) => {
      byId(d, './').name = undefined;
      byId(d, notesId).contentSize = 1;
    });
    await assert.rejects(assertValidEln(file), (error: Error) => {
      assert.match(error.message, /breaks 2 \.eln rule\(s\):\n {2}root-name: .*\n {2}file-contentSize: File \.\/experiment\/notes%201\.txt: contentSize 1, entry has 31 bytes/);
      return true;
    });
  });

  // Shown by the two tests below, whose archives are spoilt after they are made.
  const shownApart: ElnRule[] = ['zip-unreadable'];

  it('reads a file that is not a zip as zip-unreadable', async () => {
    const file = path.join(tempDir('elnport-eln-rules-'), 'text.eln');
    fs.writeFileSync(file, 'not a zip');
    assert.deepEqual(await rulesBroken(file), ['zip-unreadable']);
  });

  it('reads an entry whose bytes fail their CRC as zip-unreadable', async () => {
    const file = crafted();
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf('first experiment');
    assert.ok(at > 0);
    bytes.write('FIRST', at);
    fs.writeFileSync(file, bytes);
    assert.deepEqual(await rulesBroken(file), ['zip-unreadable']);
  });

  const cases: Array<[string, (draft: Draft) => void, ElnRule[]]> = [
    // Rule 1: the zip's names.
    ['a second folder', (d) => d.entries.set('other/x.txt', 'x'), ['zip-one-root', 'zip-outside-root']],
    ['a file beside the root folder', (d) => d.entries.set('stray.txt', 'x'), ['zip-outside-root']],
    ['a .. segment', (d) => d.entries.set('minimal/../evil.txt', 'x'), ['zip-dotdot']],
    ['an absolute name', (d) => d.entries.set('/minimal/abs.txt', 'x'), ['zip-absolute', 'zip-outside-root']],
    ['a backslash', (d) => d.entries.set('minimal/sub\\evil.txt', 'x'), ['zip-backslash']],
    ['an empty segment', (d) => d.entries.set('minimal//double.txt', 'x'), ['zip-empty-segment']],
    ['no folder at all', (d) => ((d.document = undefined), (d.entries = new Map([['stray.txt', 'x']]))), ['zip-one-root']],
    // Rule 2: ro-crate-metadata.json.
    ['no ro-crate-metadata.json', (d) => (d.document = undefined), ['metadata-missing']],
    ['metadata that is not JSON', (d) => (d.document = '{"@context": '), ['metadata-json']],
    ['metadata that is a JSON array', (d) => (d.document = '[]'), ['metadata-json']],
    ['an RO-Crate 1.0 context', (d) => (d.document['@context'] = 'https://w3id.org/ro/crate/1.0/context'), ['metadata-context']],
    ['a 1.2 context in an array', (d) => (d.document['@context'] = ['https://w3id.org/ro/crate/1.2/context', { '@vocab': 'http://schema.org/' }]), []],
    ['no @graph', (d) => delete d.document['@graph'], ['metadata-graph']],
    // Rule 3: the metadata descriptor.
    ['no descriptor', (d) => d.document['@graph'].splice(0, 1), ['descriptor-missing']],
    ['a descriptor about another entity', (d) => (byId(d, 'ro-crate-metadata.json').about = { '@id': './experiment/' }), ['descriptor-about']],
    ['no version', (d) => delete byId(d, 'ro-crate-metadata.json').version, ['descriptor-version']],
    ['no sdPublisher', (d) => delete byId(d, 'ro-crate-metadata.json').sdPublisher, ['descriptor-sdPublisher']],
    ['an sdPublisher not in @graph', (d) => (byId(d, 'ro-crate-metadata.json').sdPublisher = { '@id': '#nobody' }), ['descriptor-sdPublisher']],
    ['an embedded sdPublisher', (d) => (byId(d, 'ro-crate-metadata.json').sdPublisher = { '@type': 'Organization', name: 'elnport' }), []],
    // Rule 4: the root Dataset.
    ['no root Dataset', (d) => d.document['@graph'].splice(1, 1), ['root-missing']],
    ['a root that is not a Dataset', (d) => (byId(d, './')['@type'] = 'CreativeWork'), ['root-type']],
    ['a root without name', (d) => delete byId(d, './').name, ['root-name']],
    ['a root without datePublished', (d) => delete byId(d, './').datePublished, ['root-datePublished']],
    ['a root without hasPart', (d) => delete byId(d, './').hasPart, ['root-hasPart']],
    // Rule 5: @id and hasPart.
    ['an entity twice', (d) => d.document['@graph'].push(byId(d, notesId)), ['graph-duplicate-id']],
    ['a part not in @graph', (d) => byId(d, './experiment/').hasPart.push({ '@id': './experiment/gone.txt' }), ['hasPart-missing']],
    [
      'a part without @type',
      (d) => (byId(d, './').hasPart.push({ '@id': '#thing' }), d.document['@graph'].push({ '@id': '#thing', name: 'thing' })),
      ['hasPart-untyped', 'schema'],
    ],
    // Rule 6: names and keywords.
    ['a Dataset without name', (d) => delete byId(d, './experiment/').name, ['dataset-name']],
    ['a File without name', (d) => delete byId(d, notesId).name, ['file-name']],
    ['keywords as an array', (d) => (byId(d, './experiment/').keywords = ['buffer', 'ph']), ['keywords-array', 'schema']],
    // Rule 7: each File's bytes.
    ['a File with no entry', (d) => d.entries.clear(), ['file-missing']],
    ['a wrong contentSize', (d) => (byId(d, notesId).contentSize = Buffer.byteLength(notes) + 1), ['file-contentSize']],
    ['contentSize as a string', (d) => (byId(d, notesId).contentSize = String(Buffer.byteLength(notes))), []],
    ['a wrong sha256', (d) => (byId(d, notesId).sha256 = createHash('sha256').update('other').digest('hex')), ['file-sha256']],
    ['an @id without ./ and a sha256 in capitals', (d) => renameNotes(d, 'experiment/notes%201.txt', (e) => (e.sha256 = e.sha256.toUpperCase())), []],
    ['an @id left unencoded', (d) => renameNotes(d, './experiment/notes 1.txt'), []],
    // Rule 8: the consortium's JSON Schema.
    ['a dateCreated without a zone', (d) => (byId(d, './experiment/').dateCreated = '2024-05-01 10:00:00'), ['schema']],
  ];

  for (const [what, edit, rules] of cases) {
    it(`${what}: ${rules.length > 0 ? rules.join(', ') : 'no problem'}`, async () => {
      assert.deepEqual(await rulesBroken(crafted(edit)), rules);
    });
  }

  it('does not compare sha256 when checksums are off', async () => {
    const file = crafted((d) => (byId(d, notesId).sha256 = '0'.repeat(64)));
    assert.deepEqual(await elnProblems(file, { checksums: false }), []);
  });

  it('is seen to fail on every rule it has', () => {
    const shown = new Set([...Object.values(expected).flatMap((rules) => Object.keys(rules)), ...cases.flatMap(([, , rules]) => rules), ...shownApart]);
    assert.deepEqual(elnRules.filter((rule) => !shown.has(rule)), []);
  });

  it('reports a schema error by where it is and what is wrong', async () => {
    const file = crafted((d) => (byId(d, './experiment/').dateCreated = 'yesterday'));
    assert.deepEqual(await elnProblems(file), [{ rule: 'schema', detail: '/@graph/2/dateCreated must match format "date-time"' }]);
  });
});

/** Gives the notes File another @id, everywhere it is referred to. */
function renameNotes(draft: Draft, id: string, edit: (entity: any) => void = () => {}): void {
  const entity = byId(draft, notesId);
  byId(draft, './experiment/').hasPart[0] = { '@id': id };
  entity['@id'] = id;
  edit(entity);
}
