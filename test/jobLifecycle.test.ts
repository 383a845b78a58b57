import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { before, beforeEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { archiveState, type ExportJob } from '../src/domain/exportJob.js';
import { jobTimings } from '../src/domain/jobTimings.js';
import { loadConfig } from '../src/config.js';
import { removeArchive } from '../src/jobs/archiveRemoval.js';
import { recoverOrphanedJobs } from '../src/jobs/recovery.js';
import { Sweeper } from '../src/jobs/sweeper.js';
import { findJob, findExportJobByArchive, insertExportJob } from '../src/store/queries/exportJobs.js';
import {
  abandonJob,
  archivesOfUnfinishedJobs,
  claimJob,
  claimNextJob,
  completeJob,
  nameArchive,
  expiredArchives,
  failJob,
  markArchiveDeleted,
  recordProgress,
  recoverInterruptedJobs,
  releaseJob,
} from '../src/store/queries/jobLifecycle.js';
import { databaseClock } from '../src/store/dialect.js';
import { ownWorkRequest } from './support/exportRequests.js';
import { forEachDatabase, isoDate, useLab } from './support/lab.js';

/**
 * Each operation of the job lifecycle (src/store/queries/jobLifecycle.ts) called on its own,
 * against a real database, as graphile-worker's and pg-boss's own tests do: every status change
 * is a compare-and-set, so each test also checks who is refused. Recovery and archive removal
 * (src/jobs/) are checked beside the queries they are built on. The end-to-end tests
 * (exportRestart, exportCancel, exports) prove the whole.
 */

const request = ownWorkRequest('html');
const counts = { documents: 3, folders: 1, files: 2, skipped: 0 };
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();
const archiveOf = (name: string, expiryDate: string) => ({ name, size: 1234, checksum: '42', sha256: 'ab'.repeat(32), expiryDate });

forEachDatabase((kind) => {
  describe('the job lifecycle, operation by operation', () => {
    // No workers, and the service (with its sweeper) is stopped: only the tests touch the jobs.
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    const db = () => lab().server.store.db;
    /** Owners of their own: one user may have only one unfinished job. */
    const owners: number[] = [];

    before(async () => {
      await lab().server.exports.stop();
      for (let i = 0; i < 8; i++) owners.push((await lab().createUser(`owner${i}`)).id);
    });

    beforeEach(async () => {
      await db().deleteFrom('export_jobs').execute();
    });

    /** `count` waiting jobs, oldest first, each of another owner. */
    const queue = async (count: number): Promise<ExportJob[]> => {
      const jobs: ExportJob[] = [];
      for (let i = 0; i < count; i++) jobs.push(await insertExportJob(db(), owners[i]!, request, iso(0)));
      return jobs;
    };
    const row = async (id: number) => (await findJob(db(), id))!;
    /** Makes a STARTED job look as a dead process leaves it: its heartbeat `ageMs` old. */
    const silence = async (id: number, ageMs: number) => {
      await db().updateTable('export_jobs').set({ heartbeat: iso(-ageMs) }).where('id', '=', id).execute();
    };
    const staleBefore = () => iso(-jobTimings.staleAfterMs);

    describe('claimNextJob', () => {
      it('takes the oldest waiting job, STARTED by the claiming worker, its attempt counted', async () => {
        const [first, second] = await queue(2);
        const now = iso(0);
        const claimed = await claimNextJob(db(), 'w1', now);
        assert.ok(claimed);
        assert.equal(claimed.id, first!.id);
        assert.equal(claimed.status, 'STARTED');
        assert.equal(claimed.workerId, 'w1');
        assert.equal(claimed.attempts, 1);
        assert.equal(claimed.started, now);
        assert.equal(claimed.heartbeat, now);
        assert.equal((await claimNextJob(db(), 'w2', iso(0)))?.id, second!.id, 'a STARTED job is passed over');
        assert.equal(await claimNextJob(db(), 'w3', iso(0)), undefined, 'none left');
        assert.equal((await row(second!.id)).workerId, 'w2');
      });

      it('never gives one job to two workers claiming at once', async () => {
        const jobs = await queue(3);
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimNextJob(db(), `w${i}`, iso(0))));
        const won = claims.filter((j) => j !== undefined);
        const ids = won.map((j) => j.id);
        assert.equal(new Set(ids).size, ids.length, `a job was claimed twice: ${ids.join(', ')}`);
        assert.ok(ids.length >= 1 && ids.length <= jobs.length);
        for (const job of won) {
          const stored = await row(job.id);
          assert.equal(stored.workerId, job.workerId, 'the row names the worker that was told it won');
          assert.equal(stored.attempts, 1);
        }
      });

      it('counts a claim after recovery as another attempt', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        await silence(job!.id, 60_000);
        await recoverInterruptedJobs(db(), staleBefore(), jobTimings.maxAttempts, iso(0));
        const again = await claimNextJob(db(), 'w2', iso(0));
        assert.ok(again);
        assert.equal(again.id, job!.id);
        assert.equal(again.attempts, 2);
      });
    });

    describe('claimJob', () => {
      it('takes the job a queue entry names, only while it waits, for one worker of many', async () => {
        const [first, second] = await queue(2);
        const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => claimJob(db(), second!.id, `w${i}`, iso(0))));
        const won = claims.filter((j) => j !== undefined);
        assert.equal(won.length, 1, 'one worker wins the job');
        assert.equal(won[0]!.id, second!.id);
        assert.equal(won[0]!.attempts, 1);
        assert.equal((await row(first!.id)).status, 'STARTING', 'the older job is not touched');
        await abandonJob(db(), first!.id, 'Cancelled by its owner', iso(0));
        assert.equal(await claimJob(db(), first!.id, 'w9', iso(0)), undefined, 'a cancelled job is not claimed');
        assert.equal((await row(first!.id)).status, 'ABANDONED');
      });
    });

    describe('databaseClock', () => {
      it("stamps heartbeats with the database's time, and recovery judges them by it", async () => {
        const [job] = await queue(1);
        await claimJob(db(), job!.id, 'w1', databaseClock(kind));
        const stamped = (await row(job!.id)).heartbeat!;
        assert.match(stamped, isoDate);
        // This process's clock and the database's are one machine's here: they agree closely.
        assert.ok(Math.abs(Date.parse(stamped) - Date.now()) < 5_000, `the database's clock said ${stamped}`);
        const staleByDatabase = databaseClock(kind, -jobTimings.staleAfterMs);
        assert.deepEqual(await recoverInterruptedJobs(db(), staleByDatabase, jobTimings.maxAttempts, iso(0)), { requeued: [], failed: [], archives: [] });
        await silence(job!.id, jobTimings.staleAfterMs + 1_000);
        assert.deepEqual(await recoverInterruptedJobs(db(), staleByDatabase, jobTimings.maxAttempts, iso(0)), { requeued: [job!.id], failed: [], archives: [] });
      });
    });

    describe('completeJob', () => {
      it('is only done by the worker holding the job, and only once', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        const archive = archiveOf('RSpace-complete-1.zip', iso(3_600_000));
        assert.equal(await completeJob(db(), job!.id, 'w2', archive, counts, iso(0)), false, 'another worker is refused');
        assert.equal((await row(job!.id)).status, 'STARTED');
        const now = iso(0);
        assert.equal(await completeJob(db(), job!.id, 'w1', archive, counts, now), true);
        const done = await row(job!.id);
        assert.equal(done.status, 'COMPLETED');
        assert.equal(done.percentComplete, 100);
        assert.equal(done.finished, now);
        assert.deepEqual(done.archive, { ...archive, deleted: null });
        assert.deepEqual(done.counts, counts);
        assert.equal(await completeJob(db(), job!.id, 'w1', archive, counts, iso(0)), false, 'a finished job stays finished');
      });
    });

    describe('failJob', () => {
      it("fails the worker's own job with its message; another worker's and a finished job are refused", async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        assert.equal(await failJob(db(), job!.id, 'w2', 'not yours', iso(0)), false);
        assert.equal((await row(job!.id)).status, 'STARTED');
        const now = iso(0);
        assert.equal(await failJob(db(), job!.id, 'w1', 'The disk is full', now), true);
        const failed = await row(job!.id);
        assert.equal(failed.status, 'FAILED');
        assert.equal(failed.errorMessage, 'The disk is full');
        assert.equal(failed.finished, now);
        assert.equal(await failJob(db(), job!.id, null, 'again', iso(0)), false, 'a FAILED job is not failed again');
        assert.equal((await row(job!.id)).errorMessage, 'The disk is full');
      });

      it('fails a waiting job when no worker is named', async () => {
        const [job] = await queue(1);
        assert.equal(await failJob(db(), job!.id, null, 'Cannot be planned', iso(0)), true);
        assert.equal((await row(job!.id)).status, 'FAILED');
      });
    });

    describe('releaseJob', () => {
      it('gives the job back to the queue without spending its attempt; only its worker can', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        await releaseJob(db(), job!.id, 'w2');
        assert.equal((await row(job!.id)).status, 'STARTED', "another worker's release changes nothing");
        await releaseJob(db(), job!.id, 'w1');
        const released = await row(job!.id);
        assert.equal(released.status, 'STARTING');
        assert.equal(released.workerId, null);
        assert.equal(released.attempts, 0);
        const again = await claimNextJob(db(), 'w2', iso(0));
        assert.ok(again);
        assert.equal(again.id, job!.id);
        assert.equal(again.attempts, 1);
      });
    });

    describe('abandonJob', () => {
      it('cancels a waiting or running job, not a finished one', async () => {
        const [waiting, running] = await queue(2);
        await claimNextJob(db(), 'w1', iso(0));
        assert.equal(await abandonJob(db(), waiting!.id, 'Cancelled by its owner', iso(0)), true);
        assert.equal(await abandonJob(db(), running!.id, 'Cancelled by its owner', iso(0)), true);
        for (const id of [waiting!.id, running!.id]) {
          const cancelled = await row(id);
          assert.equal(cancelled.status, 'ABANDONED');
          assert.equal(cancelled.errorMessage, 'Cancelled by its owner');
        }
        assert.equal(await abandonJob(db(), waiting!.id, 'again', iso(0)), false);
      });

      it('racing completeJob: exactly one of them wins, and the row says which', async () => {
        for (let round = 0; round < 10; round++) {
          await db().deleteFrom('export_jobs').execute();
          const [job] = await queue(1);
          await claimNextJob(db(), 'w1', iso(0));
          const archive = archiveOf(`RSpace-race-${round}.zip`, iso(3_600_000));
          // Alternate which is asked first, so that each gets its chance to go first.
          const [abandoned, completed] =
            round % 2 === 0
              ? await Promise.all([abandonJob(db(), job!.id, 'Cancelled by its owner', iso(0)), completeJob(db(), job!.id, 'w1', archive, counts, iso(0))])
              : await Promise.all([completeJob(db(), job!.id, 'w1', archive, counts, iso(0)), abandonJob(db(), job!.id, 'Cancelled by its owner', iso(0))]).then(
                  ([c, a]) => [a, c] as const,
                );
          assert.notEqual(abandoned, completed, `round ${round}: abandoned ${abandoned}, completed ${completed}`);
          const stored = await row(job!.id);
          assert.equal(stored.status, abandoned ? 'ABANDONED' : 'COMPLETED');
          assert.equal(stored.archive !== null, completed, 'an archive only on the completed job');
        }
      });
    });

    describe('recordProgress', () => {
      it('stores progress that never goes down, and beats the heartbeat', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(-10_000));
        assert.equal(await recordProgress(db(), job!.id, 'w1', 40.5, iso(0)), true);
        const later = iso(0);
        assert.equal(await recordProgress(db(), job!.id, 'w1', 30, later), true);
        const stored = await row(job!.id);
        assert.equal(stored.percentComplete, 40.5);
        assert.equal(stored.heartbeat, later);
      });

      it('tells a worker it lost the job: cancelled, or taken over after it was thought dead', async () => {
        const [cancelled, takenOver] = await queue(2);
        await claimNextJob(db(), 'w1', iso(0));
        await claimNextJob(db(), 'w2', iso(0));
        await abandonJob(db(), cancelled!.id, 'Cancelled by its owner', iso(0));
        assert.equal(await recordProgress(db(), cancelled!.id, 'w1', 50, iso(0)), false);

        await silence(takenOver!.id, 60_000);
        await recoverInterruptedJobs(db(), staleBefore(), jobTimings.maxAttempts, iso(0));
        assert.equal((await claimNextJob(db(), 'w3', iso(0)))?.id, takenOver!.id);
        assert.equal(await recordProgress(db(), takenOver!.id, 'w2', 50, iso(0)), false, 'the old worker is refused');
        assert.equal(await recordProgress(db(), takenOver!.id, 'w3', 50, iso(0)), true, 'the new one is not');
      });
    });

    describe('recoverInterruptedJobs', () => {
      it('queues a stale STARTED job again and leaves a live one alone', async () => {
        const [stale, live, unbeaten] = await queue(3);
        for (const worker of ['w1', 'w2', 'w3']) await claimNextJob(db(), worker, iso(0));
        await silence(stale!.id, jobTimings.staleAfterMs + 5_000);
        await db().updateTable('export_jobs').set({ heartbeat: null }).where('id', '=', unbeaten!.id).execute();
        const recovered = await recoverInterruptedJobs(db(), staleBefore(), jobTimings.maxAttempts, iso(0));
        assert.deepEqual(sorted(recovered.requeued), sorted([stale!.id, unbeaten!.id]), 'a STARTED job that never beat counts as stale too');
        assert.deepEqual(recovered.failed, []);
        const requeued = await row(stale!.id);
        assert.equal(requeued.status, 'STARTING');
        assert.equal(requeued.workerId, null);
        assert.equal(requeued.attempts, 1, 'the attempt it used stays counted');
        assert.equal((await row(live!.id)).status, 'STARTED');
        assert.equal((await row(live!.id)).workerId, 'w2');
      });

      it('FAILs a job that used every attempt, saying why', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        await db().updateTable('export_jobs').set({ attempts: jobTimings.maxAttempts }).where('id', '=', job!.id).execute();
        await silence(job!.id, 60_000);
        const now = iso(0);
        const recovered = await recoverInterruptedJobs(db(), staleBefore(), jobTimings.maxAttempts, now);
        assert.deepEqual(recovered, { requeued: [], failed: [job!.id], archives: [] });
        const failed = await row(job!.id);
        assert.equal(failed.status, 'FAILED');
        assert.equal(failed.finished, now);
        assert.match(failed.errorMessage ?? '', new RegExp(`interrupted ${jobTimings.maxAttempts} times .* please start a new export`));
      });
    });

    describe('recoverOrphanedJobs', () => {
      it('removes the archive a dead worker committed but never completed, and its next attempt starts clean', async () => {
        const [job] = await queue(1);
        await claimNextJob(db(), 'w1', iso(0));
        const name = `RSpace-stray-${job!.id}.zip`;
        const draft = lab().server.archives.draft(job!.id, name);
        await pipeline(Readable.from([Buffer.from('a whole archive')]), draft.output);
        assert.equal(await nameArchive(db(), job!.id, 'w2', name), false, 'another worker is refused');
        assert.equal(await nameArchive(db(), job!.id, 'w1', name), true);
        await draft.commit();
        assert.ok(await lab().server.archives.size(name), 'committed');
        await silence(job!.id, jobTimings.staleAfterMs + 5_000);
        const parts = { db: db(), dialect: lab().server.store.dialect, log: pino({ level: 'silent' }), archives: lab().server.archives };
        await recoverOrphanedJobs(parts, 'start');
        assert.equal(await lab().server.archives.size(name), null, 'the stray archive is gone');
        const again = await row(job!.id);
        assert.equal(again.status, 'STARTING');
        assert.equal(await findExportJobByArchive(db(), name), undefined, 'no job names it any more');
      });

      it(
        kind === 'sqlite'
          ? 'at start takes every STARTED job for an orphan (this process is the only one), in a sweep none'
          : 'takes only a job silent past the staleness limit, at start and in a sweep alike',
        async () => {
          const [silent, beating] = await queue(2);
          await claimNextJob(db(), 'w1', iso(0));
          await claimNextJob(db(), 'w2', iso(0));
          await silence(silent!.id, jobTimings.staleAfterMs + 5_000);
          const lines: { msg: string; requeued?: number[]; at?: string }[] = [];
          const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
          const parts = { db: db(), dialect: lab().server.store.dialect, log, archives: lab().server.archives };

          const swept = await recoverOrphanedJobs(parts, 'sweep');
          assert.deepEqual(swept.requeued, kind === 'sqlite' ? [] : [silent!.id]);
          const started = await recoverOrphanedJobs(parts, 'start');
          assert.deepEqual(sorted(started.requeued), kind === 'sqlite' ? sorted([silent!.id, beating!.id]) : []);
          assert.equal((await row(beating!.id)).status, kind === 'sqlite' ? 'STARTING' : 'STARTED');

          const logged = lines.filter((l) => l.msg === 'recovered interrupted export jobs');
          assert.equal(logged.length, 1, 'one line for the call that recovered jobs, none for the one that did not');
          assert.deepEqual(sorted(logged[0]!.requeued ?? []), kind === 'sqlite' ? sorted([silent!.id, beating!.id]) : [silent!.id]);
          assert.equal(logged[0]!.at, kind === 'sqlite' ? 'start' : 'sweep');
        },
      );
    });

    describe('the sweeper and the archives of jobs that did not complete', () => {
      it('removes an archive committed for a job that then FAILED or was cancelled, and marks it gone', async () => {
        const [failing, cancelled] = await queue(2);
        const committed = async (id: number, worker: string) => {
          const name = `RSpace-unfinished-${id}.zip`;
          assert.ok(await claimJob(db(), id, worker, iso(0)));
          const draft = lab().server.archives.draft(id, name);
          await pipeline(Readable.from([Buffer.from('a whole archive')]), draft.output);
          assert.equal(await nameArchive(db(), id, worker, name), true);
          await draft.commit();
          return name;
        };
        const failedName = await committed(failing!.id, 'w1');
        await failJob(db(), failing!.id, 'w1', 'its completion failed', iso(0));
        const cancelledName = await committed(cancelled!.id, 'w2');
        await abandonJob(db(), cancelled!.id, 'Cancelled by its owner', iso(0));
        assert.deepEqual(sorted((await archivesOfUnfinishedJobs(db())).map((a) => a.id)), sorted([failing!.id, cancelled!.id]));

        const { store, blobs, archives } = lab().server;
        const sweeper = new Sweeper({ db: db(), dialect: store.dialect, blobs, archives, config: loadConfig({ ELNPORT_DATA_DIR: lab().dataDir }), log: pino({ level: 'silent' }) }, () => undefined);
        await sweeper.sweep();
        assert.equal(await archives.size(failedName), null, "the failed job's archive is gone");
        assert.equal(await archives.size(cancelledName), null, "the cancelled job's archive is gone");
        assert.deepEqual(await archivesOfUnfinishedJobs(db()), [], 'both are marked removed');
        assert.equal((await row(failing!.id)).status, 'FAILED');
      });
    });

    describe('expiredArchives and archiveState', () => {
      it("finds exactly the archives the domain rule calls expired, and none once they're marked deleted", async () => {
        const jobs = await queue(5);
        const [expired, fresh, deleted, failed, waiting] = jobs.map((j) => j.id) as [number, number, number, number, number];
        const complete = async (id: number, name: string, expiryDate: string) => {
          const claimed = await claimNextJob(db(), `worker-${id}`, iso(0));
          assert.equal(claimed?.id, id);
          assert.equal(await completeJob(db(), id, `worker-${id}`, archiveOf(name, expiryDate), counts, iso(0)), true);
        };
        await complete(expired, 'RSpace-expired.zip', iso(-1_000));
        await complete(fresh, 'RSpace-fresh.zip', iso(3_600_000));
        await complete(deleted, 'RSpace-deleted.zip', iso(-1_000));
        await markArchiveDeleted(db(), deleted, iso(0));
        await claimNextJob(db(), 'w-failed', iso(0));
        await failJob(db(), failed, 'w-failed', 'broke', iso(0));

        const now = iso(0);
        const candidates = await expiredArchives(db(), now);
        assert.deepEqual(
          candidates.map((j) => j.id),
          [expired],
        );
        const states = new Map<number, string>();
        for (const id of [expired, fresh, deleted, failed, waiting]) states.set(id, archiveState(await row(id), now));
        assert.deepEqual(Object.fromEntries(states), {
          [expired]: 'expired',
          [fresh]: 'downloadable',
          [deleted]: 'deleted',
          [failed]: 'none',
          [waiting]: 'none',
        });
        for (const id of [expired, fresh, deleted, failed, waiting]) {
          assert.equal(candidates.some((j) => j.id === id), states.get(id) === 'expired', `job ${id}: the query and the rule disagree`);
        }

        await markArchiveDeleted(db(), expired, iso(0));
        assert.deepEqual(await expiredArchives(db(), iso(0)), []);
        assert.equal(archiveState(await row(expired), iso(0)), 'deleted');
      });
    });

    describe('removeArchive', () => {
      it("removes the file and marks the job that names it; an archive of no job leaves every row as it was", async () => {
        const [named, other] = await queue(2);
        for (const job of [named!, other!]) {
          await claimNextJob(db(), `worker-${job.id}`, iso(0));
          await completeJob(db(), job.id, `worker-${job.id}`, archiveOf(`RSpace-remove-${job.id}.zip`, iso(3_600_000)), counts, iso(0));
        }
        const parts = { db: db(), archives: lab().server.archives };
        for (const name of [`RSpace-remove-${named!.id}.zip`, 'RSpace-orphan.zip']) {
          const draft = parts.archives.draft(0, name);
          await pipeline(Readable.from([Buffer.from('zip bytes')]), draft.output);
          await draft.commit();
        }
        const stored = async (name: string) => (await lab().stored()).archives.includes(name);
        assert.ok(await stored('RSpace-orphan.zip'));

        await removeArchive(parts, `RSpace-remove-${named!.id}.zip`, named!.id);
        assert.ok(!(await stored(`RSpace-remove-${named!.id}.zip`)), 'the file is gone');
        assert.equal(archiveState(await row(named!.id), iso(0)), 'deleted');

        await removeArchive(parts, 'RSpace-orphan.zip', null);
        assert.ok(!(await stored('RSpace-orphan.zip')));
        assert.equal(archiveState(await row(other!.id), iso(0)), 'downloadable', 'no other job is marked');
      });
    });
  });
});
