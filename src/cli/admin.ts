import readline from 'node:readline';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { ElnportError } from '../domain/errors.js';
import { groupRoles, groupTypes, systemRoles, type GroupRole, type GroupType, type SystemRole } from '../domain/model.js';
import { createGroup } from '../content/groups.js';
import { createUser, resetApiKey } from '../content/users.js';
import { openStore, sqliteFile, storeExists, type Store } from '../store/db.js';
import { findUserByUsername } from '../store/queries/users.js';
import { CommandFailure, exitCodes, usageConventions } from './clientCommand.js';
import { migrate, withoutPassword } from './migrate.js';

const passwordVariable = 'ELNPORT_ADMIN_PASSWORD';

/** The database as a person can recognise it; a PostgreSQL URL without its password. */
function databaseName(config: Config): string {
  if (!config.databaseUrl) return `SQLite database ${sqliteFile(config.dataDir)}`;
  return `PostgreSQL database ${withoutPassword(config.databaseUrl)}`;
}

/**
 * The configuration, once its database is known to be the one meant. Run from the wrong working
 * directory, ./data would be a new, empty data directory: without --init that is refused rather
 * than quietly given a database of its own, which the server would never see.
 */
async function chosenStore(init: boolean | undefined): Promise<Config> {
  const config = loadConfig();
  const name = databaseName(config);
  console.error(`elnport admin: ${name}`);
  if (!init && !(await storeExists(config))) {
    throw new CommandFailure(
      `There is no elnport database yet: ${name}. Run this where the server runs, with its ELNPORT_DATA_DIR ` +
        '(default ./data, from the working directory) or DATABASE_URL, or give --init to create a new database.',
      exitCodes.usage,
    );
  }
  return config;
}

/** Admin commands work on the store directly, for a shell on the server's machine. */
async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Reads one line from a terminal with nothing echoed; Ctrl-C interrupts, Ctrl-D ends the line. */
export async function readHidden(question: string, input: NodeJS.ReadStream, output: NodeJS.WritableStream): Promise<string> {
  const wasRaw = input.isRaw;
  // Echo goes off before the question is asked: what is typed (or pasted) the moment it shows
  // would otherwise still be echoed.
  input.setRawMode(true);
  input.resume();
  output.write(question);
  let onData: (chunk: Buffer) => void = () => undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      onData = (chunk) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n' || char === '\u0004') return resolve(typed);
          if (char === '\u0003') return reject(new CommandFailure('Interrupted', exitCodes.interrupted));
          // Backspace takes off a whole character, not half of a surrogate pair.
          if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
          else typed += char;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.off('data', onData);
    input.setRawMode(wasRaw);
    input.pause();
    // Enter was not echoed either: end the prompt's line.
    output.write('\n');
  }
}

async function firstLineOfStdin(): Promise<string> {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    // The writer may keep its end open (a here-string does not, a pipe from a program may): an
    // open stdin would keep the process from exiting once the user is made.
    process.stdin.destroy();
  }
}

const passwordHelp =
  `give it in the environment variable ${passwordVariable}, on the first line of stdin with --password-stdin, ` +
  'or run on a terminal to be asked for it';

/** The new user's password, from anywhere but the command line, where `ps` and shell history would show it. */
async function newPassword(fromStdin: boolean | undefined, username: string): Promise<string> {
  const missing = (why: string) => new CommandFailure(`No password for ${username}: ${why}; ${passwordHelp}`, exitCodes.usage);
  if (fromStdin) {
    const line = await firstLineOfStdin();
    if (!line) throw missing('the first line of stdin was empty');
    return line;
  }
  // eslint-disable-next-line no-restricted-syntax -- a secret for one admin command, not the server's configuration (src/config.ts)
  const fromEnv = process.env[passwordVariable];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) throw missing('stdin is not a terminal to ask on');
  const password = await readHidden(`Password for ${username}: `, process.stdin, process.stderr);
  if (!password) throw missing('none was typed');
  if ((await readHidden('The same again: ', process.stdin, process.stderr)) !== password) {
    throw new CommandFailure('The two passwords differ; nothing was changed', exitCodes.usage);
  }
  return password;
}

function member(spec: string, previous: { username: string; roleInGroup: GroupRole; viewAll?: boolean }[] = []) {
  const [username = '', role = 'DEFAULT', flag] = spec.split(':');
  if (!groupRoles.includes(role as GroupRole)) {
    throw new InvalidArgumentError(`the role must be one of ${groupRoles.join(', ')}.`);
  }
  return [...previous, { username, roleInGroup: role as GroupRole, viewAll: flag === 'viewAll' }];
}

/**
 * A 400 from the content layer is a malformed value (a short password, a bad e-mail address): a
 * usage error, exit 2, as commander's own. Other refusals (a taken username: 422) main.ts reports
 * with exit 1.
 */
function withExitCode<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      const code = error instanceof CommandFailure ? error.code : error instanceof ElnportError && error.httpCode === 400 ? exitCodes.usage : null;
      if (code === null) throw error;
      console.error(`elnport: ${(error as Error).message}`);
      process.exitCode = code;
    }
  };
}

/** Every subcommand works on the store, so every one takes it. */
function initOption(): Option {
  return new Option('--init', 'create the database if there is none yet (without it an empty data directory is refused)');
}

export function registerAdmin(program: Command): void {
  const admin = usageConventions(program.command('admin'))
    .description('manage users and groups, or move an embedded install to PostgreSQL and S3, from a shell on the server, on its database directly')
    .addHelpText(
      'after',
      '\nThe database is the server\'s: SQLite in $ELNPORT_DATA_DIR (default ./data, from the working directory),\n' +
        'or PostgreSQL at $DATABASE_URL. Each user and group command prints which one it opened, on stderr, and\n' +
        'refuses to create a new one unless given --init. Exit codes: 0 done; 1 refused (a username already taken,\n' +
        'an unknown user); 2 usage (a bad option or value, no database, no password).',
    );

  admin
    .command('create-user')
    .description('create a user with a password, and print their API key')
    .requiredOption('--username <name>', 'login name: 2-50 letters, digits and . _ @ -')
    .requiredOption('--email <address>', 'e-mail address')
    .requiredOption('--first-name <name>', 'first name')
    .requiredOption('--last-name <name>', 'last name')
    .addOption(new Option('--role <role>', 'system role').choices(systemRoles).default('ROLE_USER'))
    .option('--password-stdin', `read the password from the first line of stdin (default: $${passwordVariable}, else asked for on the terminal)`)
    .option('--api-key <key>', 'use this key instead of a generated one')
    .addOption(initOption())
    .addHelpText('after', `\nThe password (at least 8 characters) is never taken on the command line: ${passwordHelp}.`)
    .action(
      withExitCode(async (o: { username: string; email: string; firstName: string; lastName: string; role: SystemRole; passwordStdin?: boolean; apiKey?: string; init?: boolean }) => {
        const config = await chosenStore(o.init);
        const password = await newPassword(o.passwordStdin, o.username);
        const { user, apiKey } = await withStore(config, (store) =>
          createUser(store.db, store.apiKeys, { username: o.username, email: o.email, firstName: o.firstName, lastName: o.lastName, role: o.role, password, apiKey: o.apiKey }),
        );
        console.log(`Created user ${user.username} (id ${user.id}); API key: ${apiKey}`);
      }),
    );

  admin
    .command('create-group')
    .description('create a group of existing users')
    .requiredOption('--name <name>', "the group's display name")
    .addOption(new Option('--type <type>', 'kind of group').choices(groupTypes).default('LAB_GROUP'))
    .requiredOption('--member <username:role[:viewAll]>', `a member; repeat for each; role ${groupRoles.join(', ')} (default DEFAULT)`, member)
    .addOption(initOption())
    .action(
      withExitCode(async (o: { name: string; type: GroupType; member: ReturnType<typeof member>; init?: boolean }) => {
        const config = await chosenStore(o.init);
        const group = await withStore(config, (store) => createGroup(store.db, { displayName: o.name, type: o.type, members: o.member }));
        console.log(`Created group ${group.name} (id ${group.id}) with ${group.members.length} member(s)`);
      }),
    );

  admin
    .command('reset-key')
    .description("replace a user's API key; the old key stops working at once")
    .requiredOption('--username <name>', 'whose key')
    .option('--api-key <key>', 'use this key instead of a generated one')
    .addOption(initOption())
    .action(
      withExitCode(async (o: { username: string; apiKey?: string; init?: boolean }) => {
        const config = await chosenStore(o.init);
        const key = await withStore(config, async (store) => {
          const user = await findUserByUsername(store.db, o.username);
          if (!user) throw new Error(`No user named ${o.username}`);
          return resetApiKey(store.db, store.apiKeys, user.id, o.apiKey);
        });
        console.log(`New API key for ${o.username}: ${key}`);
      }),
    );

  admin
    .command('migrate')
    .description('copy this embedded install (SQLite, local attachments and archives) into PostgreSQL and/or S3-compatible storage')
    .option('--to-database-url <url>', 'postgres://… of a new, empty database (or one an earlier run filled): every table, keys and ids unchanged', postgresUrl)
    .addOption(new Option('--to-blobs <kind>', 'copy attachments and kept archives to S3-compatible storage, set by ELNPORT_S3_* as for the server').choices(['s3']))
    .addHelpText(
      'after',
      '\nStop the server first: nothing may write to the install while it is copied. The command refuses to run while\n' +
        'the server (or another command) has the SQLite database open, and keeps it locked until done, so a server\n' +
        'started meanwhile fails to open it. The source is only read, never changed.\n\n' +
        'Every row is copied by primary key and every blob read back from the target and checked against the sha256\n' +
        'its row records; row counts are compared table by table. Safe to run again: what is already there and equal\n' +
        'is skipped, so a second run after an interrupted one finishes the job. A target holding anything else\n' +
        '(another install, rows that differ) is refused before anything is written.\n\n' +
        'Without --to-blobs the blobs stay where they are (and are checked there). The API key secret is not in the\n' +
        'database: the summary says what to give the migrated site so the old keys go on working.\n' +
        'Exit codes: 0 all copied and checked; 1 refused, or a blob or count did not check (the summary lists them); 2 usage.',
    )
    .action(withExitCode(async (o: { toDatabaseUrl?: string; toBlobs?: 's3' }) => migrate(o)));
}

function postgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('it must be a URL, postgres://user@host/database.');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new InvalidArgumentError('it must start with postgres:// or postgresql://.');
  return value;
}
