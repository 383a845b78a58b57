import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { archiveState, type ExportArchive, type JobStatus } from '../src/domain/exportJob.js';

/** The one rule for "is this archive downloadable now", asked by the download route and the sweeper. */

const now = '2026-12-06T12:00:00.000Z';
const archive = (expiryDate: string, deleted: string | null = null): ExportArchive => ({
  name: 'RSpace-2026-12-06-10-00-html-alice-abc123.zip',
  size: 1000,
  checksum: '12345',
  sha256: 'ab'.repeat(32),
  expiryDate,
  deleted,
});

describe('archiveState', () => {
  it('is downloadable until its expiry instant, that instant included', () => {
    assert.equal(archiveState({ status: 'COMPLETED', archive: archive('2026-12-08T12:00:00.000Z') }, now), 'downloadable');
    assert.equal(archiveState({ status: 'COMPLETED', archive: archive(now) }, now), 'downloadable');
  });

  it('is expired from the first millisecond after it', () => {
    assert.equal(archiveState({ status: 'COMPLETED', archive: archive('2026-12-06T11:59:59.999Z') }, now), 'expired');
  });

  it('is deleted once its file was removed, expired or not', () => {
    assert.equal(archiveState({ status: 'COMPLETED', archive: archive('2026-12-08T12:00:00.000Z', now) }, now), 'deleted');
    assert.equal(archiveState({ status: 'COMPLETED', archive: archive('2026-12-01T12:00:00.000Z', now) }, now), 'deleted');
  });

  it('is none for a job without an archive, or one that did not complete', () => {
    assert.equal(archiveState({ status: 'COMPLETED', archive: null }, now), 'none');
    for (const status of ['STARTING', 'STARTED', 'FAILED', 'ABANDONED'] satisfies JobStatus[]) {
      assert.equal(archiveState({ status, archive: null }, now), 'none', status);
      assert.equal(archiveState({ status, archive: archive('2026-12-08T12:00:00.000Z') }, now), 'none', `${status} with an archive`);
    }
  });
});
