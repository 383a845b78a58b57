/**
 * Saves into the embedded database, as a server under load makes them, with SQLite checkpointing
 * its WAL inside commits and with the server's checkpoints on a thread (src/store/walCheckpoints.ts):
 * the slowest commit, and the event loop's worst delay (monitorEventLoopDelay).
 *
 *   node --import tsx bench/walCheckpoints.ts   # BENCH_ROUNDS=3 pairs, 16 KB saves at 16 MB/s for 6 s
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openStore } from '../src/store/db.js';
import { closeThreads } from '../src/threads/pool.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const saves = 6_000;
const body = 'x'.repeat(16 * 1024);

async function run(checkpointsOnThread: boolean): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-wal-'));
  const store = await openStore({ dataDir, databaseUrl: null, apiKeySecret: 'bench-secret-'.repeat(4) }, { checkpointsOnThread });
  try {
    await sql`create table scratch (id integer primary key, body text)`.execute(store.db);
    const commits: number[] = [];
    const save = async (times: number) => {
      for (let i = 0; i < times; i++) {
        const started = performance.now();
        await sql`insert into scratch (body) values (${body})`.execute(store.db);
        commits.push(performance.now() - started);
        // Ten saves every 10 ms.
        if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    // A second of the same saves first, not counted: the load has begun, and the thread that
    // checkpoints has started (a third of a second, loading the export's code with it).
    await save(saves / 6);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    commits.length = 0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await save(saves);
    delay.disable();
    commits.sort((a, b) => a - b);
    const wal = fs.statSync(path.join(dataDir, 'elnport.sqlite-wal')).size / 1024 / 1024;
    const at = (q: number) => commits[Math.floor(q * (commits.length - 1))]!.toFixed(2);
    const slow = commits.filter((ms) => ms > 5).length;
    return `| ${checkpointsOnThread ? 'on a thread' : 'in commits'} | ${at(0.5)} | ${at(0.99)} | ${at(1)} | ${slow} | ${(delay.percentile(99) / 1e6).toFixed(1)} | ${(delay.max / 1e6).toFixed(1)} | ${wal.toFixed(1)} |`;
  } finally {
    await store.close();
    await closeThreads();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log('| checkpoints | commit p50 ms | commit p99 ms | commit max ms | commits over 5 ms | loop delay p99 ms | loop delay max ms | WAL file MB |');
console.log('|---|---|---|---|---|---|---|---|');
for (let round = 0; round < rounds; round++) {
  console.log(await run(false));
  console.log(await run(true));
}
