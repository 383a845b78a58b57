import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import zlib from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Download, type Page } from 'playwright-core';
import { downloadArchive, exportAndWait, importAndWait } from './support/archives.js';
import { chromiumPath, chromiumSkip } from './support/browser.js';
import { createCast, postgresSkip, sysadminKey, useLab, type Account, type DatabaseKind } from './support/lab.js';
import { deliveriesWhen, startReceiver } from './support/notices.js';
import { ensurePageBuilt } from './support/webPage.js';

/**
 * The exports page in Debian's chromium, against a real server: signing in, picking from the
 * tree, following a job to its end, downloading it; who sees what; CSRF; the keyboard alone;
 * axe-core; the CSP. Screenshots go to test-output/screenshots/ for people to look at.
 */

const root = path.resolve(import.meta.dirname, '..');
const shots = path.join(root, 'test-output', 'screenshots');
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const password = 'password123'; // what lab.createUser gives everyone

interface Visit {
  page: Page;
  /** Fails the test if the page broke its CSP or asked anything of another server; then closes. */
  close(): Promise<void>;
}

async function crc32Of(download: Download): Promise<{ crc: number; size: number }> {
  let crc = 0;
  let size = 0;
  for await (const chunk of await download.createReadStream()) {
    crc = zlib.crc32(chunk as Buffer, crc);
    size += (chunk as Buffer).length;
  }
  return { crc, size };
}

let browser: Browser;
before(async () => {
  if (chromiumSkip) return;
  ensurePageBuilt();
  fs.mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
});
after(() => browser?.close());

/** Everything on SQLite; on PostgreSQL the main flow alone, to show the page does not care. */
function suite(kind: DatabaseKind): void {
  // The settings test's webhook receiver is on loopback.
  const lab = useLab(kind, { ELNPORT_WEBHOOK_ALLOW_PRIVATE: '1' });
  const sqliteOnly = { skip: kind === 'postgres' && 'on SQLite only: the main flow shows the page works on PostgreSQL too' };
  let cast: { alice: Account; bob: Account; pi: Account };
  const work = { folder: 0, notebook: 0, day1: 0, day2: 0, loose: 0 };
  let aliceJob: any;

  before(async () => {
    cast = await createCast(lab());
    const as = (body: unknown, route: string) => lab().call('POST', route, { key: cast.alice.key, body });
    work.folder = (await as({ name: 'Experiments' }, '/folders')).body.id;
    work.notebook = (await as({ name: 'Notebook 2026', notebook: true, parentFolderId: work.folder }, '/folders')).body.id;
    const doc = async (name: string, parentFolderId?: number) => (await as({ name, parentFolderId, fields: [{ content: `<p>${name}</p>` }] }, '/documents')).body.id as number;
    work.day1 = await doc('Day 1: growth curve', work.notebook);
    work.day2 = await doc('Day 2: gel', work.notebook);
    work.loose = await doc('Loose notes');
    await lab().call('POST', '/documents', { key: cast.pi.key, body: { name: 'Group meeting', fields: [{ content: '<p>notes</p>' }] } });
  });

  async function visit(viewport = { width: 1100, height: 800 }): Promise<Visit> {
    const context: BrowserContext = await browser.newContext({ acceptDownloads: true, viewport });
    const origin = new URL(lab().url).origin;
    const offServer: string[] = [];
    context.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('data:') && new URL(url).origin !== origin) offServer.push(url);
    });
    // An init script runs through the DevTools protocol, outside the page's CSP, which it watches.
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) refused.push(message.text());
    });
    const response = await page.goto(`${lab().url}/`);
    assert.ok(response?.headers()['content-security-policy']?.includes("script-src 'self'"), 'the page carries its CSP');
    return {
      page,
      async close() {
        const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
        await context.close();
        assert.deepEqual([...violations, ...refused], [], 'CSP violations');
        assert.deepEqual(offServer, [], 'requests off the server');
      },
    };
  }

  async function heading(page: Page, name: string): Promise<void> {
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  async function signIn(page: Page, username: string): Promise<void> {
    await heading(page, 'Sign in to elnport');
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My exports');
  }

  async function screenshot(t: TestContext, page: Page, name: string): Promise<void> {
    if (kind !== 'sqlite') return;
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${path.relative(root, file)}`);
  }

  /** axe-core, evaluated through the DevTools protocol so that the page's CSP stays as served. */
  async function accessible(t: TestContext, page: Page, name: string): Promise<void> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, at: v.nodes.map((n) => n.target.join(' ')) }));
    });
    const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `axe on ${name}`);
    t.diagnostic(`axe on ${name}: no serious or critical violation (${violations.length} minor: ${violations.map((v) => v.id).join(', ') || 'none'})`);
  }

  /** Waits for the job's card to show it done, its progress at 100. */
  async function completed(page: Page, jobId: number): Promise<void> {
    await page.getByRole('heading', { level: 2, name: new RegExp(`^Export ${jobId} Done$`) }).waitFor({ timeout: 20_000 });
    assert.equal(await page.locator(`#progress-${jobId}`).evaluate((p: HTMLProgressElement) => p.value), 100);
  }

  const startedExport = (page: Page, path: RegExp) =>
    page.waitForResponse((r) => r.request().method() === 'POST' && path.test(new URL(r.url()).pathname));

  it('signs in with a password, exports a selection picked in the tree, and downloads it', async (t) => {
    const { page, close } = await visit();
    await heading(page, 'Sign in to elnport');
    await accessible(t, page, 'sign-in');
    await screenshot(t, page, 'sign-in');
    await signIn(page, 'alice');

    await page.getByRole('link', { name: 'New export', exact: true }).click();
    await heading(page, 'New export');
    await page.getByLabel('Format').selectOption('html');
    await page.getByLabel('Folders, notebooks and documents I pick').check();
    await page.getByRole('button', { name: 'Contents of Experiments' }).click();
    const notebook = page.getByRole('button', { name: 'Contents of Notebook 2026' });
    assert.equal(await notebook.getAttribute('aria-expanded'), 'false');
    await notebook.click();
    assert.equal(await notebook.getAttribute('aria-expanded'), 'true');
    await page.getByLabel('Day 1: growth curve').check();
    await page.getByLabel('Loose notes').check();
    await page.getByText('(2 picked)').waitFor();
    await accessible(t, page, 'new export, the tree open');
    await screenshot(t, page, 'new-export');

    const started = startedExport(page, /^\/api\/v1\/export\/html\/selection$/);
    await page.getByRole('button', { name: 'Start export' }).click();
    const answer = await started;
    assert.equal(answer.status(), 202);
    assert.deepEqual(new URL(answer.url()).searchParams.get('selections')?.split(',').map(Number).sort(), [work.day1, work.loose].sort());
    const jobId = ((await answer.json()) as { id: number }).id;
    await heading(page, 'My exports');
    await completed(page, jobId);

    aliceJob = (await lab().call('GET', `/jobs/${jobId}`, { key: cast.alice.key })).body;
    assert.equal(aliceJob.status, 'COMPLETED');
    assert.equal(aliceJob.result.documentsExported, 2);
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Export ${jobId} Done` }) });
    assert.equal(await card.locator('time').getAttribute('datetime'), aliceJob.result.expiryDate);
    assert.match((await card.locator('time').locator('..').textContent()) ?? '', /\(in 1 d 23 h \d+ min \d+ s\)|\(in 2 d 0 h 0 min 0 s\)/);

    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: /^Download/ }).click()]);
    const { crc, size } = await crc32Of(download);
    assert.equal(String(crc), aliceJob.result.checksum);
    assert.equal(size, aliceJob.result.size);
    assert.equal(download.suggestedFilename(), aliceJob.result.archiveName);

    await accessible(t, page, 'my exports, a finished job');
    await screenshot(t, page, 'my-exports');
    await page.setViewportSize({ width: 390, height: 800 });
    await screenshot(t, page, 'my-exports-phone');
    await close();
  });

  it('lets a PI export their group', sqliteOnly, async (t) => {
    const { page, close } = await visit();
    await signIn(page, 'pat');
    await page.getByRole('link', { name: 'New export', exact: true }).click();
    await heading(page, 'New export');
    await page.getByLabel('My group', { exact: true }).check();
    assert.equal(await page.getByLabel('Group', { exact: true }).locator('option:checked').textContent(), 'Pat lab');
    await page.getByLabel('Include every revision of each document').check();
    await page.getByLabel(/Follow links between documents/).fill('0');
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel(/Only what changed since/).fill(yesterday);
    const started = startedExport(page, /^\/api\/v1\/export\/html\/group\/\d+$/);
    await page.getByRole('button', { name: 'Start export' }).click();
    const answer = await started;
    assert.equal(answer.status(), 202, await answer.text());
    const query = Object.fromEntries(new URL(answer.url()).searchParams);
    assert.deepEqual(query, { includeRevisionHistory: 'true', maxLinkLevel: '0', modifiedSince: yesterday });
    const jobId = ((await answer.json()) as { id: number }).id;
    await completed(page, jobId);
    const job = (await lab().call('GET', `/jobs/${jobId}`, { key: cast.pi.key })).body;
    assert.match(job.result.archiveName, /-html-Patlab-/);
    assert.equal(job.result.documentsExported, 4, "the group's work: alice's three documents and the PI's one");
    t.diagnostic(`pat's group export: ${job.result.archiveName}`);
    await close();
  });

  it("lets a sysadmin export anyone's work", sqliteOnly, async () => {
    const { page, close } = await visit();
    await heading(page, 'Sign in to elnport');
    await page.getByLabel('an API key').check();
    await page.getByLabel('API key', { exact: true }).fill(sysadminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My exports');
    await page.getByRole('link', { name: 'New export', exact: true }).click();
    await page.getByLabel('A group', { exact: true }).check();
    assert.deepEqual(await page.getByLabel('Group', { exact: true }).locator('option').allTextContents(), ['Pat lab']);
    await page.getByLabel('A user', { exact: true }).check();
    await page.getByLabel('User', { exact: true }).selectOption({ label: 'bob (bob Tester)' });
    const started = startedExport(page, new RegExp(`^/api/v1/export/xml/user/${cast.bob.id}$`));
    await page.getByLabel('Format').selectOption('xml');
    await page.getByRole('button', { name: 'Start export' }).click();
    assert.equal((await started).status(), 202);
    await heading(page, 'My exports');
    await close();
  });

  it("signs in with an API key, shows a user only their own exports, refuses them another's, and shows an API refusal", sqliteOnly, async () => {
    // bob's one job: an import of the PI's work, which the list shows as an import.
    const imported = await importAndWait(lab(), cast.bob.key, await downloadArchive(lab(), cast.pi.key, await exportAndWait(lab(), cast.pi.key, 'xml/user')));
    assert.equal(imported.status, 'COMPLETED', JSON.stringify(imported.result));
    const { page, close } = await visit();
    await heading(page, 'Sign in to elnport');
    await page.getByLabel('an API key').check();
    await page.getByLabel('API key', { exact: true }).fill(cast.bob.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading(page, 'My exports');
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Import ${imported.id} Done` }) });
    await card.getByText(`Imported into folder ${imported.result.folderId}: 1 document,`).waitFor();
    assert.equal(await page.locator('.job').count(), 1, "bob's list holds his one job, none of alice's");
    const enclosure = aliceJob._links.find((l: { rel: string }) => l.rel === 'enclosure').link;
    const statuses = await page.evaluate(
      async ([archive, job]) => Promise.all([fetch(archive!).then((r) => r.status), fetch(job!).then((r) => r.status)]),
      [enclosure, `/api/v1/jobs/${aliceJob.id}`],
    );
    assert.deepEqual(statuses, [404, 404]);

    // A document picked, then deleted before the export starts: the API refuses it (401), and the
    // page shows why, still signed in, since that 401 is about the records and not the session.
    const doomed = (await lab().call('POST', '/documents', { key: cast.bob.key, body: { name: 'Soon gone', fields: [{ content: '<p>x</p>' }] } })).body.id;
    await page.getByRole('link', { name: 'New export', exact: true }).click();
    await page.getByLabel('Folders, notebooks and documents I pick').check();
    await page.getByLabel('Soon gone').check();
    assert.equal((await lab().call('DELETE', `/documents/${doomed}`, { key: cast.bob.key })).status, 204);
    await page.getByRole('button', { name: 'Start export' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /None of the selected records exist or may be exported by bob/);
    await heading(page, 'New export');
    await close();
  });

  it('refuses a state-changing request from the signed-in page without its CSRF token', sqliteOnly, async () => {
    const { page, close } = await visit();
    await signIn(page, 'bob');
    const statuses = await page.evaluate(async () => {
      const without = await fetch('/api/v1/export/html/user', { method: 'POST' });
      const signOut = await fetch('/api/v1/session', { method: 'DELETE' });
      const token = ((await (await fetch('/api/v1/session')).json()) as { csrfToken: string }).csrfToken;
      const wrong = await fetch('/api/v1/export/html/user', { method: 'POST', headers: { 'X-CSRF-Token': `${token}x` } });
      const right = await fetch('/api/v1/export/html/user', { method: 'POST', headers: { 'X-CSRF-Token': token } });
      const ended = await fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': token } });
      return [without.status, signOut.status, wrong.status, right.status, ended.status];
    });
    assert.deepEqual(statuses, [403, 403, 403, 202, 204]);
    // The session is gone behind the page's back: its next request answers 401, and it signs in again.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await heading(page, 'Sign in to elnport');
    await page.getByText('Your session has ended: sign in again.').waitFor();
    await close();
  });

  it('does the main flow with the keyboard alone', sqliteOnly, async (t) => {
    const { page, close } = await visit();
    const key = (name: string) => page.keyboard.press(name);
    /** Presses Tab until the focus is on what `selector` finds, as a keyboard user would. */
    const tabTo = async (selector: string) => {
      for (let presses = 0; presses < 60; presses++) {
        if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
        await key('Tab');
      }
      assert.fail(`Tab never reached ${selector}`);
    };
    await heading(page, 'Sign in to elnport');
    await tabTo('#username');
    await page.keyboard.type('alice');
    await key('Tab');
    await page.keyboard.type(password);
    await key('Enter');
    await heading(page, 'My exports');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'My exports', 'the focus moves to the new heading');

    await tabTo('a[href="#new"]');
    await key('Enter');
    await heading(page, 'New export');
    await tabTo('input[name="scope"]');
    await key('ArrowDown'); // alice leads no group: "all my work", then the selection
    await page.getByLabel('Folders, notebooks and documents I pick').waitFor();
    assert.ok(await page.getByLabel('Folders, notebooks and documents I pick').isChecked());
    await tabTo('button[aria-label="Contents of Experiments"]');
    await key('Enter');
    await page.locator('button[aria-label="Contents of Notebook 2026"]').waitFor();
    await tabTo('button[aria-label="Contents of Notebook 2026"]');
    await key('Enter');
    await page.locator(`#pick-${work.day2}`).waitFor();
    await tabTo(`#pick-${work.day2}`);
    await key('Space');
    assert.ok(await page.locator(`#pick-${work.day2}`).isChecked());
    await tabTo('button[type="submit"]');
    const started = startedExport(page, /^\/api\/v1\/export\/html\/selection$/);
    await key('Enter');
    const answer = await started;
    assert.equal(answer.status(), 202, await answer.text());
    const jobId = ((await answer.json()) as { id: number }).id;
    await completed(page, jobId);
    const job = (await lab().call('GET', `/jobs/${jobId}`, { key: cast.alice.key })).body;
    assert.equal(job.result.documentsExported, 1);

    await tabTo(`a[download="${job.result.archiveName}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), key('Enter')]);
    const { crc, size } = await crc32Of(download);
    assert.deepEqual([String(crc), size], [job.result.checksum, job.result.size]);

    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: `Export ${jobId} Done` }) });
    await tabTo(`.job:has(#progress-${jobId}) .actions button`);
    await key('Enter');
    await card.getByText('The archive was deleted.').waitFor();
    await page.getByRole('status').filter({ hasText: `The archive of Export ${jobId} was deleted.` }).waitFor({ state: 'attached' });
    const gone = await lab().call('GET', `/export/${job.result.archiveName}`, { key: cast.alice.key });
    assert.equal(gone.status, 410, gone.text);

    await tabTo('.who button');
    await key('Enter');
    await heading(page, 'Sign in to elnport');
    t.diagnostic('keyboard only: signed in, picked a document in the tree, exported, downloaded, signed out');
    await close();
  });

  it('shows and saves the notification settings, and the deliveries made', sqliteOnly, async (t) => {
    const erin = await lab().createUser('erin');
    const receiver = await startReceiver();
    t.after(() => receiver.close());
    const { page, close } = await visit();
    await signIn(page, 'erin');
    const openSettings = async () => {
      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      await heading(page, 'Settings');
    };
    await openSettings();
    const secret = page.locator('#secret');
    await secret.waitFor();
    const before = await secret.textContent();
    // This lab has no SMTP server: the page says so rather than offer what the server would refuse.
    const byEmail = page.getByLabel(/By e-mail to erin@test\.lab/);
    assert.ok(await byEmail.isDisabled());
    await page.getByText(/This server sends no e-mail/).waitFor();
    await page.getByLabel(/By webhook/).fill(receiver.url);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').waitFor();
    const saved = (await lab().call('GET', '/me/notifications', { key: erin.key })).body;
    assert.deepEqual([saved.webhook, saved.email.enabled], [{ url: receiver.url }, false]);
    await page.getByRole('button', { name: 'Make a new secret' }).click();
    await page.getByText(/A new secret was made/).waitFor();
    assert.notEqual(await secret.textContent(), before);

    const job = await exportAndWait(lab(), erin.key, 'html/user');
    await deliveriesWhen(lab(), erin, (ds) => ds.some((d) => d.jobId === job.id && d.status === 'DELIVERED'));
    assert.equal(receiver.received.length, 1);
    await page.getByRole('link', { name: 'My exports', exact: true }).click();
    await heading(page, 'My exports');
    await openSettings();
    const row = page.getByRole('row').filter({ hasText: receiver.url });
    await row.getByText(/DELIVERED \(1 attempt\)/).waitFor();
    await row.getByText('HTTP 200').waitFor();
    await accessible(t, page, 'settings');
    await screenshot(t, page, 'settings');
    await close();
  });

  it('keeps the list across a reload, and cancels an export that waits for a worker', sqliteOnly, async () => {
    // No worker: the export waits, as it would behind others, long enough to be cancelled.
    await lab().restart({ ELNPORT_WORKERS: '0' });
    try {
      const { page, close } = await visit();
      await signIn(page, 'pat');
      await page.getByRole('link', { name: 'New export', exact: true }).click();
      await heading(page, 'New export');
      await page.getByLabel('Format').selectOption('xml');
      await page.getByLabel('All my work').check();
      const started = startedExport(page, /^\/api\/v1\/export\/xml\/user$/);
      await page.getByRole('button', { name: 'Start export' }).click();
      const jobId = ((await (await started).json()) as { id: number }).id;
      const waiting = page.getByRole('heading', { level: 2, name: `Job ${jobId} Waiting for a worker` });
      await waiting.waitFor();
      await page.reload();
      await waiting.waitFor();
      await page.getByRole('button', { name: `Cancel Job ${jobId}` }).click();
      await page.getByText(`Job ${jobId} cancelled.`).waitFor();
      await page.getByRole('heading', { level: 2, name: `Job ${jobId} Cancelled or abandoned` }).waitFor();
      assert.equal((await lab().call('GET', `/jobs/${jobId}`, { key: cast.pi.key })).body.status, 'ABANDONED');
      await close();
    } finally {
      await lab().restart();
    }
  });
}

describe('the exports page in a browser, on SQLite', { skip: chromiumSkip }, () => suite('sqlite'));
describe('the exports page in a browser, on PostgreSQL', { skip: chromiumSkip || postgresSkip }, () => suite('postgres'));
