import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { explainRun, runElnport } from './support/cliRun.js';
import { useLab, type Account, type Lab } from './support/lab.js';
import { checkZip, entries } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { tempDir } from './support/tempDirs.js';

/** `elnport backup` as cron runs it: the real command against a real server, one run after another. */

const indexName = 'elnport-backups.json';

const freshDir = (): string => tempDir('elnport-backups-');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

async function backup(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const inherited: NodeJS.ProcessEnv = {};
  // The caller's own RSPACE_* settings must not stand in for what a test passes.
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('RSPACE_')) inherited[name] = value;
  const { code, stdout, stderr } = await runElnport(['backup', ...args], { ...inherited, ...env });
  let json: unknown = null;
  try {
    json = JSON.parse(stdout);
  } catch {
    // not asked for JSON, or the command died before printing it
  }
  return { code, stdout, stderr, json };
}

const explain = explainRun;

function readIndex(dir: string): any {
  return JSON.parse(fs.readFileSync(path.join(dir, indexName), 'utf8'));
}

/** Names, sizes and modification times: what "nothing changed in DIR" means. */
function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .map((name) => {
      const stat = fs.statSync(path.join(dir, name));
      return `${name} ${stat.size} ${stat.mtimeMs}`;
    });
}

async function upload(lab: Lab, who: Account, name: string, bytes: Buffer): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), name);
  const r = await fetch(`${lab.url}/api/v1/files`, { method: 'POST', headers: { apiKey: who.key }, body: form });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { id: number }).id;
}

async function createDocument(lab: Lab, who: Account, name: string, content: string): Promise<number> {
  const r = await lab.call('POST', '/documents', { key: who.key, body: { name, fields: [{ content }] } });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

function hasDocument(names: string[], folder: string): boolean {
  return names.some((n) => n.split('/').includes(folder));
}

describe('elnport backup', () => {
  const lab = useLab('sqlite');
  let alice: Account;
  let docs: { alpha: number; beta: number; gamma: number };
  let dir: string;

  before(async () => {
    alice = await lab().createUser('alice');
    docs = {
      alpha: await createDocument(lab(), alice, 'Alpha', '<p>first</p>'),
      beta: await createDocument(lab(), alice, 'Beta', '<p>second</p>'),
      gamma: await createDocument(lab(), alice, 'Gamma', '<p>third</p>'),
    };
    dir = freshDir();
  });

  const asAlice = () => ['--url', lab().url, '--api-key', alice.key];

  it('keeps the two newest of three verified archives, with an index that matches them', async () => {
    const archives: string[] = [];
    for (let n = 0; n < 3; n++) {
      // One run takes its server and key from the environment, as a systemd unit would give them.
      const run =
        n === 1
          ? await backup(['--dest', dir, '--keep', '2', '--json'], { RSPACE_URL: lab().url, RSPACE_API_KEY: alice.key })
          : await backup(['--dest', dir, '--keep', '2', '--json', ...asAlice()]);
      assert.equal(run.code, 0, explain(run));
      assert.equal(run.json.ok, true, explain(run));
      assert.match(path.basename(run.json.archive), /^elnport-user-\d{4}-\d\d-\d\d-\d{6}(-\d+)?\.zip$/);
      archives.push(path.basename(run.json.archive));
    }
    assert.equal(new Set(archives).size, 3, `three distinct names: ${archives.join(' ')}`);

    assert.deepEqual(fs.readdirSync(dir).sort(), [...archives.slice(1), indexName].sort(), 'the oldest went; nothing else is left');
    const index = readIndex(dir);
    assert.equal(index.version, 1);
    assert.deepEqual(index.backups.map((b: any) => b.file), archives.slice(1));
    const jobIds = new Set<number>();
    for (const entry of index.backups) {
      const file = path.join(dir, entry.file);
      checkZip(file);
      const bytes = fs.readFileSync(file);
      assert.equal(entry.size, bytes.length);
      assert.equal(entry.crc32, String(zlib.crc32(bytes)));
      assert.equal(entry.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(entry.format, 'xml');
      assert.equal(entry.scope, 'user');
      assert.equal(entry.incremental, false);
      assert.equal(entry.modifiedSince, null);
      assert.equal(entry.username, 'alice');
      assert.ok(Date.parse(entry.startedAt) <= Date.parse(entry.finishedAt));
      const job = await lab().call('GET', `/jobs/${entry.jobId}`, { key: alice.key });
      assert.equal(job.body.status, 'COMPLETED');
      assert.equal(job.body.result.checksum, entry.crc32, 'the index records the job it came from');
      jobIds.add(entry.jobId);
    }
    assert.equal(jobIds.size, 2);
    assert.ok(index.backups[0].startedAt < index.backups[1].startedAt);

    // A full backup holds every document: the folder names the next test looks for are right.
    const names = entries(path.join(dir, archives[2]!));
    for (const [name, id] of [['Alpha', docs.alpha], ['Beta', docs.beta], ['Gamma', docs.gamma]] as const) {
      assert.ok(hasDocument(names, `doc_${name}-${id}`), `doc_${name}-${id} in\n${names.join('\n')}`);
    }
  });

  it('backs up only what changed since the last backup was requested when --incremental', async () => {
    const previous = readIndex(dir).backups.at(-1);
    const edit = await lab().call('PUT', `/documents/${docs.beta}`, { key: alice.key, body: { fields: [{ content: '<p>second, revised</p>' }] } });
    assert.equal(edit.status, 200, edit.text);

    const run = await backup(['--dest', dir, '--incremental', '--json', ...asAlice()]);
    assert.equal(run.code, 0, explain(run));
    const entry = run.json.backup;
    assert.equal(entry.incremental, true);
    assert.equal(entry.modifiedSince, previous.startedAt, 'since the start of the last request, not its end');
    assert.match(entry.file, /^elnport-user-\d{4}-\d\d-\d\d-\d{6}(-\d+)?-incremental\.zip$/);

    const file = path.join(dir, entry.file);
    checkZip(file);
    const names = entries(file);
    assert.ok(hasDocument(names, `doc_Beta-${docs.beta}`), names.join('\n'));
    assert.ok(!hasDocument(names, `doc_Alpha-${docs.alpha}`), names.join('\n'));
    assert.ok(!hasDocument(names, `doc_Gamma-${docs.gamma}`), names.join('\n'));
    const manifestName = names.find((n) => n.endsWith('manifest.txt'));
    assert.ok(manifestName, names.join('\n'));
    const manifest = execFileSync('unzip', ['-p', file, manifestName], { encoding: 'utf8' });
    assert.match(manifest, new RegExp(`^modifiedSince:${previous.startedAt.replace(/\./g, '\\.')}$`, 'm'));

    const index = readIndex(dir);
    assert.equal(index.backups.length, 3, 'no --keep: nothing removed');
    assert.deepEqual(index.backups.at(-1), entry);
  });

  it('refuses a wrong key with exit 3 and leaves the directory as it was', async () => {
    const before = snapshot(dir);
    const indexText = fs.readFileSync(path.join(dir, indexName), 'utf8');
    const run = await backup(['--dest', dir, '--keep', '1', '--json', '--url', lab().url, '--api-key', 'not_a_key_of_anybody_0123']);
    assert.equal(run.code, 3, explain(run));
    assert.equal(run.json.ok, false);
    assert.equal(run.json.exitCode, 3);
    assert.deepEqual(snapshot(dir), before);
    assert.equal(fs.readFileSync(path.join(dir, indexName), 'utf8'), indexText);
  });

  it('answers exit 1 for a failed export job, with the index and directory unchanged', async () => {
    const carol = await lab().createUser('carol');
    const fileId = await upload(lab(), carol, 'lost.bin', Buffer.from('gone soon'));
    await createDocument(lab(), carol, 'Shows a lost file', `<fileId=${fileId}>`);
    const carolDir = freshDir();
    const args = ['--dest', carolDir, '--keep', '1', '--url', lab().url, '--api-key', carol.key];
    const first = await backup(args);
    assert.equal(first.code, 0, explain(first));

    const before = snapshot(carolDir);
    const indexText = fs.readFileSync(path.join(carolDir, indexName), 'utf8');
    const { blob_key } = await lab().server.store.db.selectFrom('media').select('blob_key').where('record_id', '=', fileId).executeTakeFirstOrThrow();
    fs.rmSync(path.join(lab().dataDir, 'blobs', blob_key));
    const run = await backup(args);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /lost\.bin.*missing/);
    assert.deepEqual(snapshot(carolDir), before, 'no new archive, and --keep 1 removed nothing');
    assert.equal(fs.readFileSync(path.join(carolDir, indexName), 'utf8'), indexText);
  });

  it('answers exit 2 for bad usage, before touching the server or the directory', async () => {
    const empty = freshDir();
    for (const args of [
      ['--dest', empty, '--keep', '0', ...asAlice()],
      ['--dest', empty, '--scope', 'selection', ...asAlice()],
      ['--dest', empty],
      [...asAlice()],
    ]) {
      const run = await backup(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${explain(run)}`);
    }
    assert.deepEqual(fs.readdirSync(empty), []);
  });

  it('answers exit 2 at once for a --dest that cannot hold the backups, and creates nothing', async () => {
    const parent = freshDir();
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const cases: [string, RegExp][] = [
      // Node's recursive mkdir never returns under /proc.
      ['/proc/nope', /--dest \/proc\/nope: is on the proc filesystem, which holds no files/],
      ['/proc/nope/deeper', /is on the proc filesystem/],
      [file, /: is a file, not a directory/],
      [path.join(file, 'below'), new RegExp(`${file} is a file, not a directory`)],
      // sysfs refuses new files even to root, for whom access(2) says it is writable.
      ['/sys/kernel', /--dest \/sys\/kernel: a file cannot be written there \(EACCES\)/],
    ];
    if (process.getuid?.() !== 0) {
      // For root a read-only mode is no obstacle; for anyone else it is one.
      const readOnly = path.join(parent, 'read-only');
      fs.mkdirSync(readOnly, { mode: 0o555 });
      cases.push([readOnly, /a file cannot be written there \(EACCES\)/]);
    }
    for (const [dest, complaint] of cases) {
      const started = Date.now();
      const run = await backup(['--dest', dest, '--json', ...asAlice()]);
      assert.equal(run.code, 2, `${dest}: ${explain(run)}`);
      assert.ok(Date.now() - started < 30_000, `${dest}: at once, not after ${Date.now() - started} ms`);
      assert.match(run.stderr, complaint);
      assert.equal(run.json.ok, false);
      assert.equal(run.json.exitCode, 2);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory');
    assert.deepEqual(fs.readdirSync(parent).sort(), ['a-file', ...(process.getuid?.() === 0 ? [] : ['read-only'])]);
  });

  it('--format eln writes a verified .eln archive, named so, and records it in the index', async () => {
    const elnDir = freshDir();
    const run = await backup(['--dest', elnDir, '--format', 'eln', '--json', ...asAlice()]);
    assert.equal(run.code, 0, explain(run));
    const [entry, ...more] = readIndex(elnDir).backups;
    assert.deepEqual(more, []);
    assert.deepEqual(run.json.backup, entry);
    assert.match(entry.file, /^elnport-user-\d{4}-\d\d-\d\d-\d{6}(-\d+)?\.eln$/);
    assert.equal(entry.format, 'eln');
    assert.deepEqual(fs.readdirSync(elnDir).sort(), [entry.file, indexName].sort());
    const file = path.join(elnDir, entry.file);
    assert.equal(entry.sha256, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
    await assertValidEln(file);
  });

  it('--quiet prints nothing at all when the backup works, and does not go with --json', async () => {
    const quietDir = path.join(freshDir(), 'made', 'for', 'cron');
    const run = await backup(['--dest', quietDir, '--quiet', ...asAlice()]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, '');
    const [entry] = readIndex(quietDir).backups;
    checkZip(path.join(quietDir, entry.file));

    const failed = await backup(['--dest', quietDir, '--quiet', '--url', lab().url, '--api-key', 'not_a_key_of_anybody_0123']);
    assert.equal(failed.code, 3, explain(failed));
    assert.equal(failed.stdout, '');
    assert.match(failed.stderr, /^elnport backup: .+/, 'errors are still reported');

    const both = await backup(['--dest', quietDir, '--quiet', '--json', ...asAlice()]);
    assert.equal(both.code, 2, explain(both));
    assert.match(both.stderr, /'--json' cannot be used with option '--quiet'/);
    assert.equal(readIndex(quietDir).backups.length, 1);
  });
});
