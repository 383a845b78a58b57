import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { checkZip } from './support/archives.js';
import { tempDir } from './support/tempDirs.js';
import { actingAs, createCast, useLab } from './support/lab.js';

/**
 * The README's curl walk, run as a reader would paste it: taken from README.md itself, so the
 * text people copy is the text that is tested. Only its two settings lines are replaced.
 */

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const exportsSection = readme.slice(readme.indexOf('\n## Exports\n'));
const walk = /```bash\n([\s\S]*?)```/.exec(exportsSection)?.[1] ?? '';
const missingTools = ['bash', 'curl', 'jq'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missingTools.length ? `needs ${missingTools.join(', ')} (.ci/run installs jq)` : false;

function withSettings(base: string, key: string): string {
  const lines = walk.split('\n');
  const settings = lines.filter((line) => /^(BASE|KEY)=/.test(line));
  assert.equal(settings.length, 2, `the walk should set BASE and KEY on their own lines:\n${walk}`);
  return lines.map((line) => (line.startsWith('BASE=') ? `BASE=${base}` : line.startsWith('KEY=') ? `KEY=${key}` : line)).join('\n');
}

describe('the README curl walk', { skip }, () => {
  const lab = useLab('sqlite');

  // Asynchronously: the server answering the walk runs in this process.
  async function runWalk(key: string) {
    const cwd = tempDir('elnport-walk-');
    const { stdout } = await promisify(execFile)('bash', ['-c', withSettings(`${lab().url}/api/v1`, key)], { cwd, encoding: 'utf8', timeout: 60_000 });
    return { stdout, archive: path.join(cwd, 'export.zip') };
  }

  it('waits for COMPLETED and saves the archive of the enclosure link, not the job JSON', async () => {
    const { alice } = await createCast(lab());
    const created = await actingAs(lab, alice).post('/documents', { name: 'Walked', fields: [{ content: '<p>pasted from the README</p>' }] });
    assert.equal(created.status, 201, created.text);

    const run = await runWalk(alice.key);
    assert.match(run.stdout, /saved export\.zip \(\d+ bytes\)/);

    const jobs = await lab().call('GET', '/jobs', { key: alice.key });
    const job = jobs.body.jobs.find((j: any) => j.status === 'COMPLETED');
    assert.ok(job, jobs.text);
    const bytes = fs.readFileSync(run.archive);
    assert.equal(bytes.length, job.result.size);
    assert.equal(String(zlib.crc32(bytes)), job.result.checksum);
    checkZip(run.archive);
  });

  it('prints a refusal and saves nothing', async () => {
    const run = await runWalk('not_a_key_anybody_has_0000');
    assert.match(run.stdout, /"httpCode":\s*401/);
    assert.equal(fs.existsSync(run.archive), false);
  });
});
