import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createUser } from '../src/content/users.js';
import { startServer, type Server } from '../src/server.js';
import { openStore } from '../src/store/db.js';
import { downloadArchive, exportAndWait } from './support/archives.js';
import { explainRun, runElnport } from './support/cliRun.js';
import { jsonCaller } from './support/http.js';
import { createCast, postgresSkip, startLab, sysadminKey, type Account, type Lab } from './support/lab.js';
import { addWork, upload } from './support/labWork.js';
import { createPostgresDatabase, labLike } from './support/process.js';
import { fakeS3Bucket, fakeS3Credentials, startFakeS3, type FakeS3 } from './support/s3rver.js';
import { tempDir } from './support/tempDirs.js';

/**
 * `elnport admin migrate` as an operator runs it: an embedded install built through the real
 * server, the real command as a child process into a fresh PostgreSQL database and s3rver, then
 * the real server on PostgreSQL and S3 serving what the embedded one served.
 */

const prefix = 'lab/';

const explain = explainRun;

/** The caller's environment without anything that configures elnport, then `more`. */
function cleanEnv(more: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(ELNPORT_|DATABASE_URL$|AWS_)/.test(name)) env[name] = value;
  return { ...env, ...more };
}

const run = (args: string[], env: NodeJS.ProcessEnv) => runElnport(['admin', 'migrate', ...args], env);

/** The figures of one row of the summary's tables, by its first cell. */
function summaryRow(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${name} `));
  assert.ok(line, `the summary has a row for ${name}:\n${stdout}`);
  return line.trim().split(/\s{3,}/).slice(1);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file of a data directory with its sha256, so a test can show the command changed none. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = sha256(fs.readFileSync(file));
  }
  return out;
}

async function pgQuery<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('elnport admin migrate usage errors', () => {
  it('exit 2 for nothing to do, a target that is not PostgreSQL, or blobs to anything but s3, touching nothing', async () => {
    const dataDir = tempDir('elnport-migrate-usage-');
    const env = cleanEnv({ ELNPORT_DATA_DIR: dataDir });
    for (const [args, message] of [
      [[], /Nothing to do: give --to-database-url, --to-blobs s3, or both/],
      [['--to-database-url', 'mysql://db/elnport'], /it must start with postgres:\/\/ or postgresql:\/\//],
      [['--to-blobs', 'gcs'], /argument 'gcs' is invalid\. Allowed choices are s3/],
    ] as const) {
      const outcome = await run([...args], env);
      assert.equal(outcome.code, 2, explain(outcome));
      assert.match(outcome.stderr, message);
    }
    assert.deepEqual(fs.readdirSync(dataDir), [], 'no database made');
  });

  it('exit 1 with no embedded database there, creating none', async () => {
    const dataDir = tempDir('elnport-migrate-none-');
    const outcome = await run(['--to-blobs', 's3'], cleanEnv({ ELNPORT_DATA_DIR: dataDir, ELNPORT_S3_BUCKET: 'bucket' }));
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(outcome.stderr, /There is no embedded database at .*elnport\.sqlite/);
    assert.deepEqual(fs.readdirSync(dataDir), []);
  });
});

describe('elnport admin migrate: an embedded install moved to PostgreSQL and S3', { skip: postgresSkip }, () => {
  let s3: FakeS3;
  let lab: Lab;
  let cast: { alice: Account; bob: Account; pi: Account };
  let target: { url: string; drop(): Promise<void> };
  let migrated: Server | undefined;
  const seen: { documents: Record<number, { body: any; key: string }>; files: Record<number, { meta: any; sha256: string; key: string }>; job: any } = { documents: {}, files: {}, job: null };
  let env: NodeJS.ProcessEnv;
  let source: Record<string, string>;

  before(async () => {
    s3 = await startFakeS3();
    lab = await startLab('sqlite');
    cast = await createCast(lab);
    const { alice, bob } = cast;
    const work = await addWork(lab, alice);
    const notes = await upload(lab, bob, 'notes.txt', 'text/plain', Buffer.from('Buffer at pH 7.4, twice.\n'), 'bench notes');
    const experiment = await lab.call('POST', '/documents', {
      key: bob.key,
      body: { name: 'Growth curve', form: { id: 2 }, fields: [{ content: '<p>Measure growth</p>' }, { content: `<p>See <fileId=${notes}></p>` }] },
    });
    assert.equal(experiment.status, 201, experiment.text);
    seen.job = await exportAndWait(lab, alice.key, 'html/user');
    const origin = (url: string, text: string) => text.replaceAll(url, 'ORIGIN');
    for (const [who, id] of [
      [alice, work.document],
      [bob, experiment.body.id],
    ] as const) {
      seen.documents[id] = { body: JSON.parse(origin(lab.url, (await lab.call('GET', `/documents/${id}`, { key: who.key })).text)), key: who.key };
    }
    for (const [who, id] of [
      [alice, work.file],
      [bob, notes],
    ] as const) {
      const meta = JSON.parse(origin(lab.url, (await lab.call('GET', `/files/${id}`, { key: who.key })).text));
      const bytes = Buffer.from(await (await fetch(`${lab.url}/api/v1/files/${id}/file`, { headers: { apiKey: who.key } })).arrayBuffer());
      seen.files[id] = { meta, sha256: sha256(bytes), key: who.key };
    }
    target = await createPostgresDatabase(process.env.DATABASE_URL!);
    env = cleanEnv({
      ELNPORT_DATA_DIR: lab.dataDir,
      ELNPORT_S3_ENDPOINT: s3.endpoint,
      ELNPORT_S3_BUCKET: fakeS3Bucket,
      ELNPORT_S3_PREFIX: prefix,
      ELNPORT_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: fakeS3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fakeS3Credentials.secretAccessKey,
    });
  });

  after(async () => {
    await migrated?.close();
    await lab?.server.close().catch(() => undefined);
    if (lab) fs.rmSync(lab.dataDir, { recursive: true, force: true });
    await target?.drop();
    await s3?.close();
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[name];
  });

  const migrate = () => run(['--to-database-url', target.url, '--to-blobs', 's3'], env);

  async function objects(under: string, within = prefix): Promise<string[]> {
    const listed = await s3.client().client.send(new ListObjectsV2Command({ Bucket: fakeS3Bucket, Prefix: `${within}${under}` }));
    return (listed.Contents ?? []).map((object) => object.Key!).sort();
  }

  it('refuses while the server has the install open, writing nothing', async () => {
    const outcome = await migrate();
    assert.equal(outcome.code, 1, explain(outcome));
    assert.match(outcome.stderr, /is in use: stop the elnport server/);
    assert.deepEqual(await pgQuery(target.url, `select table_name from information_schema.tables where table_schema = 'public'`), []);
    assert.deepEqual(await objects(''), []);
    await lab.server.close();
    source = fingerprint(lab.dataDir);
    assert.ok(source['elnport.sqlite'] && Object.keys(source).some((name) => name.startsWith('archives/')), JSON.stringify(source));
  });

  it('copies every row and every blob, checks them, and says what to carry over', async () => {
    const outcome = await migrate();
    assert.equal(outcome.code, 0, explain(outcome));
    // Quoted in the note: the real output of a run.
    console.log(`--- elnport admin migrate, first run ---\n${outcome.stderr}${outcome.stdout}`);
    const [users, usersTarget, usersCopied, usersEqual] = summaryRow(outcome.stdout, 'users');
    assert.deepEqual([users, usersTarget, usersCopied, usersEqual], ['4', '4', '4', 'yes'], 'sysadmin, alice, bob and pat');
    assert.deepEqual(summaryRow(outcome.stdout, 'export_jobs').slice(0, 3), ['1', '1', '1']);
    assert.deepEqual(summaryRow(outcome.stdout, 'forms').slice(0, 3), ['2', '2', '0'], "the forms the target's migrations made are the same rows");
    assert.equal(summaryRow(outcome.stdout, 'attachments')[0], '2');
    assert.deepEqual(summaryRow(outcome.stdout, 'attachments').slice(2, 4), ['2', '2'], 'verified, copied');
    assert.deepEqual(summaryRow(outcome.stdout, 'archives').slice(2, 4), ['1', '1']);
    assert.match(outcome.stdout, /ELNPORT_API_KEY_SECRET="\$\(cat .*secrets\/api-key-secret\)"/);
    assert.equal((await objects('blobs/')).length, 2);
    assert.deepEqual(await objects('archives/'), [`${prefix}archives/${path.basename(new URL(seen.job._links[0].link).pathname)}`]);
    assert.deepEqual(await objects('drafts/'), [], 'no draft left');
  });

  it('a run after an interrupted one copies only what is missing; one more copies nothing', async () => {
    // What a run stopped half way leaves: the last table not yet copied, one blob not yet there.
    await pgQuery(target.url, 'delete from export_jobs');
    const [lost] = await objects('blobs/');
    await s3.client().client.send(new DeleteObjectCommand({ Bucket: fakeS3Bucket, Key: lost! }));

    const second = await migrate();
    assert.equal(second.code, 0, explain(second));
    assert.deepEqual(summaryRow(second.stdout, 'export_jobs').slice(0, 3), ['1', '1', '1']);
    assert.deepEqual(summaryRow(second.stdout, 'users').slice(0, 3), ['4', '4', '0']);
    assert.deepEqual(summaryRow(second.stdout, 'attachments').slice(2, 4), ['2', '1']);
    assert.deepEqual(summaryRow(second.stdout, 'archives').slice(2, 4), ['1', '0']);

    const third = await migrate();
    assert.equal(third.code, 0, explain(third));
    console.log(`--- elnport admin migrate, run again ---\n${third.stdout}`);
    assert.equal(summaryRow(third.stdout, 'all tables')[2], '0', 'no row copied');
    assert.equal(summaryRow(third.stdout, 'attachments')[3], '0', 'no blob copied');
    assert.equal(summaryRow(third.stdout, 'archives')[3], '0');
    assert.deepEqual(fingerprint(lab.dataDir), source, 'the source is only read');
  });

  it('without --to-blobs, leaves the blobs where they are and checks them there', async () => {
    const outcome = await run(['--to-database-url', target.url], env);
    assert.equal(outcome.code, 0, explain(outcome));
    assert.match(outcome.stdout, /Blobs: not copied \(no --to-blobs\): they stay where they are/);
    assert.deepEqual(summaryRow(outcome.stdout, 'attachments').slice(0, 4), ['2', '262,169 (262.2 kB)', '2', '0']);
    assert.match(summaryRow(outcome.stdout, 'attachments')[4]!, /\/blobs \(unchanged\)$/);
    assert.deepEqual(fingerprint(lab.dataDir), source);
  });

  it('reports a blob whose bytes are not what its row records, leaves no copy of it, and exits 1', async () => {
    const damaged = tempDir('elnport-damaged-');
    fs.cpSync(lab.dataDir, damaged, { recursive: true });
    const blob = Object.keys(source).find((name) => /^blobs\/[0-9a-f]{2}\//.test(name))!;
    fs.appendFileSync(path.join(damaged, blob), 'one byte more');
    const fresh = await createPostgresDatabase(process.env.DATABASE_URL!);
    try {
      const outcome = await run(['--to-database-url', fresh.url, '--to-blobs', 's3'], { ...env, ELNPORT_DATA_DIR: damaged, ELNPORT_S3_PREFIX: 'damaged/' });
      assert.equal(outcome.code, 1, explain(outcome));
      assert.match(outcome.stdout, /NOT DONE: 1 blob\(s\) failed/);
      const key = blob.slice('blobs/'.length);
      assert.match(outcome.stdout, new RegExp(`${key}: its row records \\d+ bytes, sha256 [0-9a-f]{64}, the source store held`));
      assert.deepEqual(summaryRow(outcome.stdout, 'attachments').slice(2, 4), ['1', '1'], 'the other one verified and copied');
      assert.ok(!(await objects('blobs/', 'damaged/')).includes(`damaged/blobs/${key}`), 'the damaged bytes are not left in the bucket');
      // A row must not reach the target before its blob: with one blob failed, none is copied.
      assert.deepEqual(await pgQuery(fresh.url, 'select count(*)::int as n from media'), [{ n: 0 }]);
    } finally {
      await fresh.drop();
    }
  });

  it('the site on PostgreSQL and S3 serves the same documents, files and archive, and takes the old keys', async () => {
    const { alice } = cast;
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: fakeS3Credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeS3Credentials.secretAccessKey });
    // As the summary says: the secret from the embedded data directory, given to the new site.
    const secret = fs.readFileSync(path.join(lab.dataDir, 'secrets', 'api-key-secret'), 'utf8').trim();
    migrated = await startServer(
      loadConfig({
        ELNPORT_DATA_DIR: tempDir('elnport-migrated-'),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        ELNPORT_SYSADMIN_API_KEY: sysadminKey,
        ELNPORT_API_KEY_SECRET: secret,
        DATABASE_URL: target.url,
        ELNPORT_BLOBS: 's3',
        ELNPORT_S3_ENDPOINT: s3.endpoint,
        ELNPORT_S3_BUCKET: fakeS3Bucket,
        ELNPORT_S3_PREFIX: prefix,
        ELNPORT_S3_FORCE_PATH_STYLE: 'true',
      }),
    );
    const call = jsonCaller(migrated.url, sysadminKey);
    const origin = (text: string) => text.replaceAll(migrated!.url, 'ORIGIN');
    for (const [id, was] of Object.entries(seen.documents)) {
      const r = await call('GET', `/documents/${id}`, { key: was.key });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(origin(r.text)), was.body, `document ${id} as it was`);
    }
    for (const [id, was] of Object.entries(seen.files)) {
      const { key } = was;
      const r = await call('GET', `/files/${id}`, { key });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(origin(r.text)), was.meta, `file ${id}'s metadata as it was`);
      const bytes: Buffer = Buffer.from(await (await fetch(`${migrated.url}/api/v1/files/${id}/file`, { headers: { apiKey: key } })).arrayBuffer());
      assert.equal(sha256(bytes), was.sha256, `file ${id}'s bytes as they were`);
    }

    const job = await call('GET', `/jobs/${seen.job.id}`, { key: alice.key });
    assert.equal(job.status, 200, job.text);
    assert.equal(job.body.status, 'COMPLETED');
    assert.equal(job.body.result.checksum, seen.job.result.checksum, 'the same CRC32');
    const archive = await downloadArchive(labLike(migrated.url, call), alice.key, job.body);
    assert.equal(String(zlib.crc32(fs.readFileSync(archive))), seen.job.result.checksum);

    // New rows take ids past the copied ones rather than colliding with them.
    const fresh = await call('POST', '/documents', { key: alice.key, body: { name: 'After the move' } });
    assert.equal(fresh.status, 201, fresh.text);
    assert.ok(fresh.body.id > Math.max(...Object.keys(seen.documents).map(Number), ...Object.keys(seen.files).map(Number)));
    const newcomer = await call('POST', '/sysadmin/users', {
      body: { username: 'dana', email: 'dana@test.lab', firstName: 'Dana', lastName: 'Tester', password: 'password123', role: 'ROLE_USER' },
    });
    assert.equal(newcomer.status, 201, newcomer.text);
    assert.equal(newcomer.body.id, 5);
  });

  it('refuses a target holding another install, writing nothing to it', async () => {
    const other = await createPostgresDatabase(process.env.DATABASE_URL!);
    try {
      const store = await openStore({ databaseUrl: other.url, dataDir: tempDir('elnport-other-'), apiKeySecret: 'another install, another secret: 32+' });
      await createUser(store.db, store.apiKeys, { username: 'carol', email: 'carol@elsewhere.org', firstName: 'Carol', lastName: 'Elsewhere', role: 'ROLE_SYSADMIN', apiKey: randomBytes(12).toString('hex') });
      await store.close();
      const before = await pgQuery(other.url, 'select count(*)::int as n from records');
      const objectsBefore = await objects('');

      const outcome = await run(['--to-database-url', other.url, '--to-blobs', 's3'], env);
      assert.equal(outcome.code, 1, explain(outcome));
      assert.match(outcome.stderr, /The target database holds data that is not this install's: users \(id 1\) differs in username.*nothing was written/);
      assert.deepEqual(await pgQuery(other.url, 'select count(*)::int as n from records'), before);
      assert.deepEqual(await pgQuery(other.url, 'select username from users'), [{ username: 'carol' }]);
      assert.deepEqual(await objects(''), objectsBefore);
    } finally {
      await other.drop();
    }
  });
});
