import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { checkZip, waitForJob } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { useLab, type Account } from './support/lab.js';
import { addWork, loseAttachment } from './support/labWork.js';
import { startProxy, type Proxy } from './support/proxy.js';
import { tempDir } from './support/tempDirs.js';

/** `elnport export` as a lab's IT person runs it, against the real server. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Resolved here, so the command can also run with another working directory.
const tsx = import.meta.resolve('tsx');
const command = [process.execPath, '--import', tsx, path.join(root, 'src/cli/main.ts'), 'export'];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `elnport export …` with none of the caller's RSPACE_ variables unless given; `outcome`
 * settles when it exits, and `stderr()` is what it has written so far.
 */
function launch(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RSPACE_')));
  const child = spawn(command[0]!, [...command.slice(1), ...args], { cwd: options.cwd ?? root, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const outcome = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, outcome, stderr: () => stderr };
}

function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Outcome> {
  return launch(args, options).outcome;
}

const freshDir = (): string => tempDir('elnport-cli-export-');

function assertExit(outcome: Outcome, code: number): void {
  assert.equal(outcome.code, code, `exit ${outcome.code}, wanted ${code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`);
  assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
}

describe('elnport export', () => {
  const lab = useLab('sqlite');
  let alice: Account;
  let proxy: Proxy;
  const as = (who: Account, url = lab().url) => ['--url', url, '--api-key', who.key];

  before(async () => {
    alice = await lab().createUser('alice');
    await addWork(lab(), alice);
    proxy = await startProxy(lab().url);
  });

  after(async () => {
    await proxy?.close();
  });

  it('exits 0 with a verified archive, and --json tells a script where it is', async () => {
    const dir = freshDir();
    const outcome = await run(['--format', 'html', '--scope', 'user', '--out', dir, '--json', ...as(alice)]);
    assertExit(outcome, 0);
    const printed = JSON.parse(outcome.stdout);
    assert.deepEqual(Object.keys(printed).sort(), ['crc32', 'job', 'path', 'sha256', 'size']);
    const { job } = printed;
    assert.equal(job.status, 'COMPLETED');
    assert.equal(printed.path, path.join(dir, path.basename(new URL(job._links[0].link).pathname)));
    const bytes = fs.readFileSync(printed.path);
    assert.equal(bytes.length, job.result.size);
    assert.equal(printed.size, job.result.size);
    assert.equal(String(zlib.crc32(bytes)), job.result.checksum);
    assert.equal(printed.crc32, job.result.checksum);
    assert.equal(printed.sha256, job.result.sha256);
    checkZip(printed.path);
    assert.deepEqual(fs.readdirSync(dir), [path.basename(printed.path)], 'no part file left');
    // Not a terminal: plain log lines, no carriage returns.
    assert.match(outcome.stderr, new RegExp(`^Export job ${job.id}: COMPLETED, 100%$`, 'm'));
    assert.match(outcome.stderr, /^Downloading RSpace-[\w-]+\.zip: 100% .* done$/m);
    assert.doesNotMatch(outcome.stderr, /\r/);
  });

  it('--format eln downloads a verified .eln archive', async () => {
    const dir = freshDir();
    const outcome = await run(['--format', 'eln', '--scope', 'user', '--out', dir, '--json', ...as(alice)]);
    assertExit(outcome, 0);
    const printed = JSON.parse(outcome.stdout);
    assert.match(path.basename(printed.path), /^RSpace-[\d-]+-eln-alice-[\w-]+\.eln$/);
    assert.deepEqual(fs.readdirSync(dir), [path.basename(printed.path)]);
    assert.equal(fs.statSync(printed.path).size, printed.job.result.size);
    await assertValidEln(printed.path);
  });

  it('reads the server and key from RSPACE_URL and RSPACE_API_KEY, and saves under the archive\'s name here', async () => {
    const dir = freshDir();
    const outcome = await run(['--format', 'xml', '--scope', 'selection', '--select', String(alice.homeFolderId), '--revisions'], {
      env: { RSPACE_URL: lab().url, RSPACE_API_KEY: alice.key },
      cwd: dir,
    });
    assertExit(outcome, 0);
    const saved = /^Saved (\S+) \(.*size and CRC32 verified\)$/m.exec(outcome.stdout);
    assert.ok(saved, outcome.stdout);
    assert.equal(path.dirname(saved[1]!), fs.realpathSync(dir));
    assert.match(path.basename(saved[1]!), /^RSpace-.*-xml-alice-[\w-]+\.zip$/);
    checkZip(saved[1]!);
  });

  it('exits 1 when the job fails, with the server\'s message', async () => {
    const carol = await lab().createUser('carol');
    await loseAttachment(lab(), carol);
    const dir = freshDir();
    const outcome = await run(['--format', 'html', '--scope', 'user', '--out', dir, ...as(carol)]);
    assertExit(outcome, 1);
    assert.match(outcome.stderr, /^elnport: Export job \d+ FAILED: .*lost\.bin.*missing/m);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('exits 3 for a wrong key and for an export the server refuses', async () => {
    const wrong = await run(['--format', 'html', '--scope', 'user', '--url', lab().url, '--api-key', 'not_a_real_key_0123456789']);
    assertExit(wrong, 3);
    assert.match(wrong.stderr, /^elnport: /m);
    const refused = await run(['--format', 'html', '--scope', 'user', '--id', '1', ...as(alice)]);
    assertExit(refused, 3);
    assert.match(refused.stderr, /Unauthorized attempt by alice/);
  });

  it('exits 2 for usage errors, before asking the server anything', async () => {
    const before = proxy.requests.length;
    const aFile = path.join(freshDir(), 'a-file');
    fs.writeFileSync(aFile, 'not a directory');
    const cases: [string[], RegExp][] = [
      [['--format', 'pdf', '--scope', 'user'], /argument 'pdf' is invalid\. Allowed choices are html, xml/],
      [['--format', 'html'], /required option '--scope <scope>' not specified/],
      [['--format', 'html', '--scope', 'user', '--id', 'abc'], /'abc' is invalid/],
      [['--format', 'html', '--scope', 'selection'], /--scope selection needs --select/],
      [['--format', 'html', '--scope', 'user', '--select', '1,2'], /--select goes with --scope selection/],
      [['--format', 'html', '--scope', 'user', '--modified-since', 'yesterday'], /ISO-8601/],
      [['--format', 'html', '--scope', 'user', '--out', '/no/such/dir/x.zip'], /--out \/no\/such\/dir: no such directory/],
      [['--format', 'html', '--scope', 'user', '--out', '/proc/nope.zip'], /--out \/proc: is on the proc filesystem/],
      [['--format', 'html', '--scope', 'user', '--out', path.join(aFile, 'x.zip')], /: is a file, not a directory/],
      // sysfs refuses new files even to root, for whom access(2) says it is writable.
      [['--format', 'html', '--scope', 'user', '--out', '/sys/kernel/x.zip'], /--out \/sys\/kernel: a file cannot be written there \(EACCES\)/],
      [['--format', 'html', '--scope', 'user', '--json', '--quiet'], /'--json' cannot be used with option '--quiet'/],
    ];
    for (const [args, complaint] of cases) {
      const outcome = await run([...args, ...as(alice, proxy.url)]);
      assertExit(outcome, 2);
      assert.match(outcome.stderr, complaint);
      assert.equal(outcome.stdout, '');
    }
    const missing = await run(['--format', 'html', '--scope', 'user']);
    assertExit(missing, 2);
    assert.match(missing.stderr, /give --url or set RSPACE_URL/);
    assert.equal(proxy.requests.length, before, 'no request reached the server');
  });

  it('refuses to overwrite a file at --out without --force, before any export starts', async () => {
    const dir = freshDir();
    const out = path.join(dir, 'backup.zip');
    fs.writeFileSync(out, 'last week');
    const before = proxy.requests.length;
    const refused = await run(['--format', 'html', '--scope', 'user', '--out', out, ...as(alice, proxy.url)]);
    assertExit(refused, 2);
    assert.match(refused.stderr, new RegExp(`^elnport: --out ${out} already exists; give --force to overwrite it$`, 'm'));
    assert.equal(proxy.requests.length, before, 'no export job was started');
    assert.equal(fs.readFileSync(out, 'utf8'), 'last week');

    const forced = await run(['--format', 'html', '--scope', 'user', '--out', out, '--force', ...as(alice)]);
    assertExit(forced, 0);
    checkZip(out);
    assert.deepEqual(fs.readdirSync(dir), ['backup.zip']);
  });

  it('--quiet prints nothing when the export works, and still reports a failure', async () => {
    const dir = freshDir();
    const quiet = await run(['--format', 'xml', '--scope', 'user', '--out', dir, '--quiet', ...as(alice)]);
    assertExit(quiet, 0);
    assert.equal(quiet.stdout, '');
    assert.equal(quiet.stderr, '');
    const [name] = fs.readdirSync(dir);
    assert.ok(name, 'the archive was saved');
    checkZip(path.join(dir, name));

    const wrong = await run(['--format', 'xml', '--scope', 'user', '--out', dir, '--quiet', '--url', lab().url, '--api-key', 'not_a_real_key_0123456789']);
    assertExit(wrong, 3);
    assert.equal(wrong.stdout, '');
    assert.match(wrong.stderr, /^elnport: .+$/m);
  });

  it('exits 4 for a corrupted download and leaves nothing at --out', async () => {
    proxy.rule = (r) => (r.method === 'GET' && r.path.startsWith('/api/v1/export/') ? { flipAt: 5000 } : undefined);
    const dir = freshDir();
    const out = path.join(dir, 'backup.zip');
    const outcome = await run(['--format', 'html', '--scope', 'user', '--out', out, ...as(alice, proxy.url)]);
    proxy.rule = () => undefined;
    assertExit(outcome, 4);
    assert.match(outcome.stderr, /^elnport: The download of RSpace-.*\.zip is damaged: its CRC32 is \d+, the job announced \d+$/m);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('exits 4 when the server cannot be reached', async () => {
    const gone = await startProxy(lab().url);
    await gone.close();
    const outcome = await run(['--format', 'html', '--scope', 'user', ...as(alice, gone.url)]);
    assertExit(outcome, 4);
    assert.match(outcome.stderr, /^elnport: Cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/m);
  });

  it('--no-wait prints the job and exits 0', async () => {
    const dave = await lab().createUser('dave');
    const plain = await run(['--format', 'html', '--scope', 'user', '--no-wait', ...as(dave)]);
    assertExit(plain, 0);
    const started = /^Started export job (\d+) \((STARTING|STARTED)\); follow it at (\S+)$/m.exec(plain.stdout);
    assert.ok(started, plain.stdout);
    assert.equal(started[3], `${lab().url}/api/v1/jobs/${started[1]}`);
    await waitForJob(lab(), dave.key, Number(started[1]));

    const json = await run(['--format', 'xml', '--scope', 'user', '--no-wait', '--json', ...as(dave)]);
    assertExit(json, 0);
    const { job } = JSON.parse(json.stdout);
    assert.ok(Number.isInteger(job.id) && job.id !== Number(started[1]));
    assert.equal(job._links[0].rel, 'self');
    assert.equal((await waitForJob(lab(), dave.key, job.id)).status, 'COMPLETED');
  });

  describe('interrupted', () => {
    // No worker: the job waits until it is cancelled.
    const idle = useLab('sqlite', { ELNPORT_WORKERS: '0' });

    it('cancels the unfinished job on Ctrl-C and exits 130', async () => {
      const erin = await idle().createUser('erin');
      const running = launch(['--format', 'html', '--scope', 'user', '--url', idle().url, '--api-key', erin.key]);
      const deadline = Date.now() + 30_000;
      let seen: RegExpExecArray | null = null;
      while (!(seen = /^Export job (\d+): STARTING, 0%$/m.exec(running.stderr()))) {
        assert.ok(Date.now() < deadline, `no progress line: ${running.stderr()}`);
        await sleep(100);
      }
      running.child.kill('SIGINT');
      const outcome = await running.outcome;
      assertExit(outcome, 130);
      assert.match(outcome.stderr, new RegExp(`^elnport: Interrupted; export job ${seen[1]} was cancelled$`, 'm'));
      const job = await idle().call('GET', `/jobs/${seen[1]}`, { key: erin.key });
      assert.equal(job.body.status, 'ABANDONED');
    });
  });

  describe('on a terminal', () => {
    // A tmux server of our own, on a socket in a directory that is removed afterwards.
    const socket = path.join(freshDir(), 'tmux.sock');
    const session = 'export';
    const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });

    after(() => {
      tmux('kill-session', '-t', session);
    });

    it('draws readable progress lines in place, with no escape codes left on the screen', async () => {
      const dir = freshDir();
      const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
      const line = [...command, '--format', 'html', '--scope', 'user', '--out', dir, ...as(alice)].map(quote).join(' ');
      const started = tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '20', '-c', root, `${line}; echo EXIT=$?; sleep 600`);
      assert.equal(started.status, 0, started.stderr);
      let screen = '';
      const deadline = Date.now() + 60_000;
      while (!/EXIT=\d+/.test(screen)) {
        assert.ok(Date.now() < deadline, `the command did not finish:\n${screen}`);
        await sleep(200);
        screen = tmux('capture-pane', '-p', '-t', session).stdout;
      }
      assert.match(screen, /EXIT=0/, screen);
      const [name] = fs.readdirSync(dir);
      assert.ok(name, 'the archive was saved');
      const lines = screen.split('\n');
      const jobLines = lines.filter((l) => l.startsWith('Export job'));
      const downloadLines = lines.filter((l) => l.startsWith('Download ['));
      assert.equal(jobLines.length, 1, `the job's line is redrawn in place:\n${screen}`);
      assert.equal(downloadLines.length, 1, `the download's line is redrawn in place:\n${screen}`);
      assert.match(jobLines[0]!, /^Export job \d+ \[=+\] 100% COMPLETED\s*$/);
      assert.match(downloadLines[0]!, /^Download \[=+\] 100% [\d.]+ kB\/[\d.]+ kB [\d.]+ [kMG]?B\/s done\s*$/);
      assert.ok(lines.some((l) => l.startsWith(`Downloading ${name} (`)), `the file name is shown:\n${screen}`);
      assert.ok(!screen.includes('\u001b'), `an escape character on the screen:\n${screen}`);
      assert.doesNotMatch(screen, /\^\[|\[\d*(;\d+)*[A-Za-z]|\uFFFD/, `escape garbage on the screen:\n${screen}`);
    });
  });
});
