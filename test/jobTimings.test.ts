import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobTimings } from '../src/domain/jobTimings.js';

/** The lifecycle's timings depend on one another: what their comments promise is checked here. */
describe('jobTimings', () => {
  it('sweeps every 5 s at any ordinary retention', () => {
    assert.equal(jobTimings.sweepPeriodMs(48), 5_000);
    assert.equal(jobTimings.sweepPeriodMs(1), 5_000);
  });

  it('sweeps a retention shorter than 20 s four times within it, but not more often than every 250 ms', () => {
    // 0.0005 h = 1.8 s, as the expiry tests use.
    assert.equal(jobTimings.sweepPeriodMs(0.0005), 450);
    assert.equal(jobTimings.sweepPeriodMs(0.00001), 250);
  });

  it('takes a job for dead only after several missed heartbeats', () => {
    assert.ok(jobTimings.staleAfterMs >= 5 * jobTimings.heartbeatMs, `${jobTimings.staleAfterMs} ms is fewer than 5 beats of ${jobTimings.heartbeatMs} ms`);
  });

  it('sweeps more often than a job goes stale, so a dead job waits about the staleness limit, not two', () => {
    for (const hours of [0.0005, 1, 48, 8760]) assert.ok(jobTimings.sweepPeriodMs(hours) < jobTimings.staleAfterMs / 2, `${hours} h`);
  });

  it('cannot be changed at run time', () => {
    assert.ok(Object.isFrozen(jobTimings));
  });
});
