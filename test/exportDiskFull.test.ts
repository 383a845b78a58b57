import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { useLab } from './support/lab.js';
import { exportAndWait } from './support/archives.js';

/** A real full disk: a 1 MB tmpfs mounted over the archive directory. Needs root, as CI runs. */
function canMount(): string | false {
  if (os.platform() !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a small tmpfs';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-mount-probe-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (mounted) spawnSync('umount', [probe]);
  fs.rmSync(probe, { recursive: true, force: true });
  return mounted ? false : 'this machine does not let the test mount a tmpfs';
}

describe('an export that fills the disk', { skip: canMount() }, () => {
  const lab = useLab('sqlite');

  it('ends FAILED saying the disk is full, leaves nothing behind, and the server keeps serving', async () => {
    const alice = await lab().createUser('alice');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(randomBytes(3 * 1024 * 1024))], { type: 'application/octet-stream' }), 'big.bin');
    const upload = await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: alice.key }, body: form });
    assert.equal(upload.status, 201);
    const fileId = ((await upload.json()) as { id: number }).id;
    await lab().call('POST', '/documents', { key: alice.key, body: { name: 'Big', fields: [{ content: `<fileId=${fileId}>` }] } });

    const mountPoint = path.join(lab().dataDir, 'archives');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    try {
      fs.mkdirSync(path.join(mountPoint, 'tmp'));
      const failed = await exportAndWait(lab(), alice.key, 'xml/user');
      assert.equal(failed.status, 'FAILED');
      assert.match(failed.result.message, /ran out of disk space/);
      assert.deepEqual(fs.readdirSync(path.join(mountPoint, 'tmp')), [], 'the draft is removed');
      assert.deepEqual(fs.readdirSync(mountPoint).filter((f) => f.endsWith('.zip')), []);
      assert.equal((await lab().call('GET', '/status', { key: null })).status, 200);
    } finally {
      // Before the lab's own teardown removes the data directory.
      execFileSync('umount', [mountPoint]);
    }
    const retried = await exportAndWait(lab(), alice.key, 'xml/user');
    assert.equal(retried.status, 'COMPLETED', 'with space again, the same export succeeds');
  });
});
