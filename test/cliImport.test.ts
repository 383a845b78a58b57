import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { explainRun, projectRoot, runElnport, type CliOutcome } from './support/cliRun.js';
import { actingAs, useLab, type Account } from './support/lab.js';
import { startProxy, type Proxy } from './support/proxy.js';
import { tempDir } from './support/tempDirs.js';

/** `elnport import` against the real server, with real archives from ../shared/fixtures. */

const fixtures = path.resolve(projectRoot, '../shared/fixtures');
const elabftw = path.join(fixtures, 'eln/elabftw__export.eln');
const sampleDb = path.join(fixtures, 'eln/SampleDB__sampledb_export.eln');

/** The caller's environment without its RSPACE_ variables, so only what a test gives counts. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RSPACE_')));

function assertExit(outcome: CliOutcome, code: number): void {
  assert.equal(outcome.code, code, explainRun(outcome));
  assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
}

describe('elnport import', () => {
  const lab = useLab('sqlite');
  let proxy: Proxy;
  let users = 0;
  const importer = (): Promise<Account> => lab().createUser(`importer${++users}`);
  const run = (who: Account, args: string[], url = lab().url) => runElnport(['import', ...args, '--url', url, '--api-key', who.key], cleanEnv);

  before(async () => {
    proxy = await startProxy(lab().url);
  });

  after(async () => {
    await proxy?.close();
  });

  it('streams a .eln file up, and --json prints the COMPLETED job, whose documents are there', async () => {
    const who = await importer();
    const outcome = await runElnport(['import', elabftw, '--json'], { ...cleanEnv, RSPACE_URL: proxy.url, RSPACE_API_KEY: who.key });
    assertExit(outcome, 0);
    const { job } = JSON.parse(outcome.stdout);
    assert.equal(job.status, 'COMPLETED');
    assert.equal(job.result.kind, 'import');
    assert.equal(job.result.format, 'eln');
    assert.deepEqual(job.result.counts, { folders: 0, notebooks: 0, documents: 12, revisions: 0, comments: 4, files: 2, filesReused: 0 });
    assert.deepEqual(job.result.warnings, []);
    // Not a terminal: plain log lines.
    assert.match(outcome.stderr, /^Uploading elabftw__export\.eln \(111\.3 kB\)$/m);
    assert.match(outcome.stderr, new RegExp(`^Import job ${job.id}: COMPLETED, 100%$`, 'm'));
    assert.doesNotMatch(outcome.stderr, /\r/);

    // One multipart request, its length known in advance: the file went as a file-backed Blob.
    const posts = proxy.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/import');
    assert.equal(posts.length, 1);
    assert.match(posts[0]!.headers['content-type'] ?? '', /^multipart\/form-data; boundary=/);
    assert.ok(Number(posts[0]!.headers['content-length']) > fs.statSync(elabftw).size, JSON.stringify(posts[0]!.headers));

    const as = actingAs(lab, who);
    const folder = await as.get(`/folders/${job.result.folderId}`);
    assert.equal(folder.body.name, 'elabftw__export');
    const documents = await as.get('/documents?pageSize=100');
    assert.equal(documents.body.totalHits, 12);
    const tree = await as.get(`/folders/tree/${job.result.folderId}?pageSize=100`);
    assert.deepEqual(
      tree.body.records.map((r: { id: number }) => r.id).sort(),
      documents.body.documents.map((d: { id: number }) => d.id).sort(),
    );
  });

  it('imports --into a folder of yours and prints what it created, with every warning', async () => {
    const who = await importer();
    const as = actingAs(lab, who);
    const into = (await as.post('/folders', { name: 'From SampleDB' })).body.id as number;
    const outcome = await run(who, [sampleDb, '--into', `FL${into}`]);
    assertExit(outcome, 0);
    const lines = outcome.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `Imported ${sampleDb} (.eln) into folder ${into}`);
    assert.match(lines[1]!, /^Created 4 documents, 2 folders, 0 notebooks, 0 earlier versions, 2 comments, 8 files \(\d+ already stored\)$/);
    const [, count] = /^(\d+) warnings?:$/.exec(lines[2]!) ?? [];
    assert.ok(count, outcome.stdout);
    const warnings = lines.slice(3);
    assert.equal(warnings.length, Number(count));
    assert.ok(warnings.every((w) => w.startsWith('  - ')));
    assert.ok(warnings.some((w) => /RFC 3339/.test(w)), outcome.stdout);

    // Straight into the folder given: no folder named after the archive in between.
    const tree = await as.get(`/folders/tree/${into}?pageSize=100`);
    assert.equal(tree.status, 200, tree.text);
    assert.equal(tree.body.records.filter((r: { type: string }) => /folder/i.test(r.type)).length, 2, JSON.stringify(tree.body.records));
    assert.equal((await as.get('/documents?pageSize=100')).body.totalHits, 4);
  });

  it('exits 1 with the server\'s message when the import FAILS, and nothing is imported', async () => {
    const who = await importer();
    const notAZip = path.join(tempDir('elnport-cli-import-'), 'notes.zip');
    fs.writeFileSync(notAZip, 'These are plain notes, not an archive.\n');
    const outcome = await run(who, [notAZip]);
    assertExit(outcome, 1);
    assert.match(outcome.stderr, /^elnport: Import job \d+ FAILED: The upload cannot be read as a zip archive/m);
    assert.equal(outcome.stdout, '');
    assert.equal((await actingAs(lab, who).get('/documents')).body.totalHits, 0);
  });

  it('exits 2 for a FILE that is missing or not a file, before asking the server anything', async () => {
    const who = await importer();
    const seen = proxy.requests.length;
    const dir = tempDir('elnport-cli-import-');
    const missing = await run(who, [path.join(dir, 'missing.eln')], proxy.url);
    assertExit(missing, 2);
    assert.match(missing.stderr, /^elnport: Cannot read .*missing\.eln: no such file$/m);
    const directory = await run(who, [dir], proxy.url);
    assertExit(directory, 2);
    assert.match(directory.stderr, /^elnport: Cannot read .*: a directory, not an archive$/m);
    assert.equal(proxy.requests.length, seen, 'no request reached the server');
  });
});
