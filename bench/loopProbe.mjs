/**
 * Loaded into the server process by the bench (`node --import …/bench/loopProbe.mjs`), not part
 * of elnport: it watches the server's own event loop, which no client can see from outside.
 *
 * On each SIGUSR2 it writes what the loop suffered since the last one to BENCH_LOOP_FILE (JSON,
 * written whole and renamed so that the bench never reads half of it) and starts over; `reports`
 * counts the answers so the bench knows when the one it asked for is there. Delays are in ms
 * past the 10 ms tick of the histogram's timer, so that an idle loop reads 0, not 10.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_LOOP_FILE;
// Worker threads inherit the process's --import: only the main thread's loop serves requests.
if (isMainThread && file) {
  const resolutionMs = 10;
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let reports = 0;
  const ms = (ns) => Math.max(0, ns / 1e6 - resolutionMs);
  process.on('SIGUSR2', () => {
    reports += 1;
    const report = { reports, count: histogram.count, p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
    histogram.reset();
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
    fs.renameSync(`${file}.tmp`, file);
  });
}
