import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { scryptSync } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { createPostgresDatabase } from './support/process.js';
import { postgresSkip } from './support/lab.js';
import { tempDir } from './support/tempDirs.js';

/** `elnport admin` as an operator runs it: the real command, in a working directory of its own. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Resolved here, so the command can run in another working directory.
const command = [process.execPath, '--import', import.meta.resolve('tsx'), path.join(root, 'src/cli/main.ts'), 'admin'];
const password = 'correct horse battery';

const freshDir = (): string => tempDir('elnport-admin-');

/** The caller's environment without anything that configures elnport (a DATABASE_URL above all). */
function cleanEnv(more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(ELNPORT_|DATABASE_URL$)/.test(name)) env[name] = value;
  return { ...env, ...more };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function admin(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; stdin?: string }): Promise<Outcome> {
  const child = spawn(command[0]!, [...command.slice(1), ...args], {
    cwd: options.cwd ?? root,
    env: options.env,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Left open after the text, as a program at the other end of a pipe may: the command must still exit.
  if (options.stdin !== undefined) child.stdin!.write(options.stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  child.stdin?.destroy();
  return { code, stdout, stderr };
}

function explain(outcome: Outcome): string {
  return `exit ${outcome.code}\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`;
}

function assertExit(outcome: Outcome, code: number): void {
  assert.equal(outcome.code, code, explain(outcome));
  assert.doesNotMatch(outcome.stderr, /\n\s+at /, 'no stack trace');
}

const person = (username: string) => ['create-user', '--username', username, '--email', `${username}@lab.org`, '--first-name', username, '--last-name', 'Tester'];

/** Whether `typed` is the password stored for `username` (scrypt$salt$hash, as hashPassword writes it). */
function storedPasswordIs(dataDir: string, username: string, typed: string): boolean {
  const db = new SQLite(path.join(dataDir, 'elnport.sqlite'), { readonly: true });
  try {
    const row = db.prepare('select password_hash from users where username = ?').get(username) as { password_hash: string | null } | undefined;
    assert.ok(row?.password_hash, `${username} has a stored password`);
    const [scheme, salt, hash] = row.password_hash.split('$');
    assert.equal(scheme, 'scrypt');
    return scryptSync(typed, Buffer.from(salt!, 'hex'), 32).toString('hex') === hash;
  } finally {
    db.close();
  }
}

function usernames(dataDir: string): string[] {
  const db = new SQLite(path.join(dataDir, 'elnport.sqlite'), { readonly: true });
  try {
    return (db.prepare('select username from users order by id').all() as { username: string }[]).map((r) => r.username);
  } finally {
    db.close();
  }
}

describe('elnport admin --help', () => {
  const env = cleanEnv();

  /** The option or command lines of a help page, each name with its description. */
  function entries(help: string, section: 'Options' | 'Commands'): { name: string; description: string }[] {
    const block = new RegExp(`^${section}:\\n((?:  .*\\n?)+)`, 'm').exec(help)?.[1] ?? '';
    const found: { name: string; description: string }[] = [];
    for (const line of block.split('\n')) {
      const entry = /^ {2}(\S.*?)(?: {2,}(.*))?$/.exec(line);
      if (entry) found.push({ name: entry[1]!, description: entry[2] ?? '' });
      else if (/^ {3,}\S/.test(line) && found.length) found.at(-1)!.description += ` ${line.trim()}`;
    }
    return found;
  }

  it('describes every subcommand', async () => {
    const outcome = await admin(['--help'], { env });
    assertExit(outcome, 0);
    const commands = entries(outcome.stdout, 'Commands');
    assert.deepEqual(commands.map((c) => c.name.split(' ')[0]), ['create-user', 'create-group', 'reset-key', 'migrate', 'help']);
    for (const c of commands) assert.ok(c.description.length > 10, `${c.name} has a description: ${outcome.stdout}`);
    assert.match(outcome.stdout, /--init/);
    assert.match(outcome.stdout, /ELNPORT_DATA_DIR/);
  });

  for (const [subcommand, required] of [
    ['create-user', ['--username <name>', '--email <address>', '--first-name <name>', '--last-name <name>']],
    ['create-group', ['--name <name>', '--member <username:role[:viewAll]>']],
    ['reset-key', ['--username <name>']],
  ] as const) {
    it(`${subcommand}: describes every option, marks the required ones, and offers --init`, async () => {
      const outcome = await admin([subcommand, '--help'], { env });
      assertExit(outcome, 0);
      const options = entries(outcome.stdout, 'Options');
      for (const o of options) assert.ok(o.description.length > 5, `${o.name} has a description:\n${outcome.stdout}`);
      const marked = options.filter((o) => /\(required\)$/.test(o.description)).map((o) => o.name);
      assert.deepEqual(marked, required, outcome.stdout);
      assert.ok(options.some((o) => o.name === '--init'), outcome.stdout);
      assert.ok(!options.some((o) => o.name.startsWith('--password ')), 'no password on the command line');
    });
  }
});

describe('elnport admin usage errors', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dataDir = freshDir();
    env = cleanEnv({ ELNPORT_DATA_DIR: dataDir, ELNPORT_ADMIN_PASSWORD: password });
  });

  it('exit 2, and touch no database', async () => {
    // --init wherever it applies: no refusal for want of a database may hide the usage error.
    const cases: [string[], RegExp][] = [
      [[], /Usage: elnport admin/],
      [['make-coffee'], /unknown command 'make-coffee'/],
      [['create-user', '--init', '--username', 'alice'], /required option '--email <address>' not specified/],
      [[...person('alice'), '--init', '--role', 'ROLE_KING'], /argument 'ROLE_KING' is invalid\. Allowed choices are ROLE_USER/],
      [[...person('alice'), '--init', '--password', 'hunter2hunter2'], /unknown option '--password'/],
      [['create-group', '--init', '--name', 'Lab', '--member', 'alice:BOSS'], /the role must be one of PI, DEFAULT, RS_LAB_ADMIN/],
      [['create-group', '--init', '--name', 'Lab', '--member', 'alice:PI', '--type', 'CLUB'], /Allowed choices are LAB_GROUP, PROJECT_GROUP/],
      [['reset-key', '--init'], /required option '--username <name>' not specified/],
      [['reset-key', '--init', '--username', 'alice', '--colour', 'red'], /unknown option '--colour'/],
    ];
    for (const [args, complaint] of cases) {
      const outcome = await admin(args, { env });
      assertExit(outcome, 2);
      assert.match(outcome.stderr, complaint, args.join(' '));
      assert.equal(outcome.stdout, '', args.join(' '));
    }
    assert.deepEqual(fs.readdirSync(dataDir), []);
  });
});

describe('elnport admin on an empty data directory', () => {
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    cwd = freshDir();
    // No ELNPORT_DATA_DIR: ./data, as when an operator runs the command from the wrong directory.
    env = cleanEnv({ ELNPORT_ADMIN_PASSWORD: password });
  });

  it('refuses every subcommand without --init, says which database it looked for, and creates nothing', async () => {
    const file = path.join(fs.realpathSync(cwd), 'data', 'elnport.sqlite');
    for (const args of [person('alice'), ['create-group', '--name', 'Lab', '--member', 'alice:PI'], ['reset-key', '--username', 'alice']]) {
      const outcome = await admin(args, { env, cwd });
      assertExit(outcome, 2);
      assert.ok(outcome.stderr.includes(`SQLite database ${file}`), outcome.stderr);
      assert.match(outcome.stderr, /^elnport: There is no elnport database yet: .*give --init to create a new database\.$/m);
      assert.equal(outcome.stdout, '');
      assert.deepEqual(fs.readdirSync(cwd), [], 'not even the data directory');
    }
  });

  it('creates the database with --init, and uses it without --init from then on', async () => {
    const created = await admin([...person('alice'), '--init'], { env, cwd });
    assertExit(created, 0);
    assert.match(created.stdout, /^Created user alice \(id \d+\); API key: \w+$/m);
    const again = await admin(['reset-key', '--username', 'alice'], { env, cwd });
    assertExit(again, 0);
    assert.match(again.stdout, /^New API key for alice: \w+$/m);
    assert.ok(again.stderr.includes(`SQLite database ${path.join(fs.realpathSync(cwd), 'data', 'elnport.sqlite')}`), again.stderr);
  });
});

describe('elnport admin on PostgreSQL', { skip: postgresSkip }, () => {
  let database: { url: string; drop(): Promise<void> };
  let env: NodeJS.ProcessEnv;

  before(async () => {
    database = await createPostgresDatabase(process.env.DATABASE_URL!);
    // A data directory for the key secret only: the database is PostgreSQL's.
    env = cleanEnv({ DATABASE_URL: database.url, ELNPORT_DATA_DIR: freshDir(), ELNPORT_ADMIN_PASSWORD: password });
  });
  after(async () => {
    await database?.drop();
  });

  async function migrationsTable(): Promise<boolean> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query("select to_regclass('kysely_migration') is not null as found")).rows[0].found;
    } finally {
      await client.end();
    }
  }

  it('refuses a database without our migrations table unless --init, and then finds it', async () => {
    const refused = await admin(person('alice'), { env });
    assertExit(refused, 2);
    assert.match(refused.stderr, /PostgreSQL database postgres.*There is no elnport database yet/s);
    assert.equal(await migrationsTable(), false, 'nothing was created');

    assertExit(await admin([...person('alice'), '--init'], { env }), 0);
    assert.equal(await migrationsTable(), true);
    const key = await admin(['reset-key', '--username', 'alice'], { env });
    assertExit(key, 0);
    assert.match(key.stdout, /^New API key for alice: \w+$/m);
  });

  it('never prints the password of DATABASE_URL', async () => {
    const url = new URL(database.url);
    url.password = 'not-the-real-one';
    const outcome = await admin(['reset-key', '--username', 'alice'], { env: { ...env, DATABASE_URL: url.toString() } });
    assert.doesNotMatch(outcome.stdout + outcome.stderr, /not-the-real-one/);
  });
});

describe('elnport admin create-user passwords', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dataDir = freshDir();
    env = cleanEnv({ ELNPORT_DATA_DIR: dataDir });
    assertExit(await admin([...person('first'), '--init'], { env: { ...env, ELNPORT_ADMIN_PASSWORD: password } }), 0);
  });

  it(`takes the password from ELNPORT_ADMIN_PASSWORD`, async () => {
    assertExit(await admin(person('envy'), { env: { ...env, ELNPORT_ADMIN_PASSWORD: 'from the environment' } }), 0);
    assert.equal(storedPasswordIs(dataDir, 'envy', 'from the environment'), true);
  });

  it('takes the first line of stdin with --password-stdin, ahead of the environment', async () => {
    const outcome = await admin([...person('piper'), '--password-stdin'], { env: { ...env, ELNPORT_ADMIN_PASSWORD: 'not this one' }, stdin: 'piped password\nsecond line\n' });
    assertExit(outcome, 0);
    assert.equal(storedPasswordIs(dataDir, 'piper', 'piped password'), true);
  });

  it('exits 2 and says how to give one when there is none, and creates no user', async () => {
    const none = await admin(person('nobody'), { env });
    assertExit(none, 2);
    assert.match(none.stderr, /^elnport: No password for nobody: stdin is not a terminal to ask on; give it in the environment variable ELNPORT_ADMIN_PASSWORD, on the first line of stdin with --password-stdin, or run on a terminal/m);
    const empty = await admin([...person('nobody'), '--password-stdin'], { env, stdin: '\n' });
    assertExit(empty, 2);
    assert.match(empty.stderr, /No password for nobody: the first line of stdin was empty; give it in/);
    const short = await admin([...person('nobody'), '--password-stdin'], { env, stdin: 'short\n' });
    assertExit(short, 2);
    assert.match(short.stderr, /^elnport: password must be at least 8 characters$/m);
    assert.deepEqual(usernames(dataDir), ['first', 'envy', 'piper']);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;

  describe('on a terminal', { skip: hasScript ? false : 'util-linux script is not installed: the prompt is not tested' }, () => {
    /** Runs the command on a pseudo-terminal (script -qec) and answers each prompt once it appears. */
    async function onTerminal(username: string, answers: string[]): Promise<Outcome & { screen: string }> {
      const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
      const line = [...command, ...person(username)].map(quote).join(' ');
      const child = spawn('script', ['-qec', line, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let screen = '';
      const pending = [...answers];
      child.stdout.on('data', (chunk: Buffer) => {
        screen += chunk.toString();
        // Typed only once asked, as a person would: earlier, the terminal would still echo it.
        if (pending.length && /(Password for \S+|The same again): $/.test(screen)) child.stdin.write(`${pending.shift()}\r`);
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      child.stdin.destroy();
      return { code, stdout: screen, stderr: '', screen };
    }

    it('asks twice without echoing, and stores what was typed', async () => {
      const typed = 'typed on a terminal';
      const outcome = await onTerminal('terri', [typed, typed]);
      assertExit(outcome, 0);
      assert.match(outcome.screen, /Password for terri: \r?\nThe same again: \r?\nCreated user terri/);
      assert.ok(!outcome.screen.includes(typed), `the password was echoed:\n${outcome.screen}`);
      assert.ok(!outcome.screen.includes('*'), 'not even as stars');
      assert.equal(storedPasswordIs(dataDir, 'terri', typed), true);
    });

    it('exits 2 when the two differ, and creates no user', async () => {
      const outcome = await onTerminal('typo', ['the first try', 'the second try']);
      assertExit(outcome, 2);
      assert.match(outcome.screen, /The two passwords differ; nothing was changed/);
      assert.ok(!usernames(dataDir).includes('typo'));
    });
  });
});
