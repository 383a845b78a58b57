/**
 * `npm run bench`: issue 9's figures in one table, measured through the HTTP API of a built
 * server process (`dist/cli/main.js serve`), each export on a fresh process so that its peak RSS
 * is the export's own. Each row ends with the command that runs it alone:
 *
 *   node --import tsx bench/export.ts [--row ID]... [--concurrent N] [--list]
 *
 * - Throughput (docs-5000-html … attachments-xml, and docs-5000-eln): export s, records/s, MB/s,
 *   archive MB, peak RSS, and `zip -r -6` over the same content extracted to disk, timed in the same run.
 * - Flat memory (idle, memory-1000, memory-20000): BENCH_DOCS=100000 adds memory-100000 (9–10
 *   minutes more on 2 busy cores, most of it saving the documents); `--row memory-N` runs any size alone.
 * - `--concurrent N` (concurrent-20 in the full run): N users of 1,000 documents each export at once.
 * - responsive: GET /jobs/{id} latency from 4 pollers and the server's event-loop delay (read by
 *   bench/loopProbe.mjs inside the server) while 2 exports of 20,000 documents run; idle-poll:
 *   autocannon on GET /jobs/{id} for 10 s.
 * - content-limit-*: issue 7's document with a field at the content limit.
 * - import-xml-N, import-eln-N, import-mixed-xml, import-mixed-eln, not in the default run (bench/importRow.ts):
 *   issue 11's figures, the corpus's own export imported by another user: import s from POST to
 *   COMPLETED, records created per s, peak RSS, the import's counts and warnings, and the ratio to
 *   the same archive's export time in the same run.
 * - zip64, opt-in (BENCH_ZIP64=1, or --row zip64): a 4.5 GiB archive through the API, checked by
 *   `unzip -t` and Python's zipfile; it needs ~16 GiB free and adds 6–8 minutes.
 * - cluster, run when DATABASE_URL is set (bench/cluster.ts): 20 users export at once through an
 *   `api` process with 1, 2, 1 and 2 `worker` processes, on PostgreSQL and S3 (s3rver); the row
 *   gives each worker count's best time and their ratio (about 4 minutes).
 *
 * BENCH_SERVER_DIR=/path/to/checkout measures another built checkout's server (this tree is built
 * first otherwise); BENCH_SERVER_NODE_OPTIONS passes Node options to the server, e.g. --cpu-prof.
 * BENCH_FILES and BENCH_FILE_MB change the mixed corpus (40 × 8 MB), BENCH_ROUNDS the content-limit
 * rounds (3). Progress goes to stderr, the table to stdout.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from './bench.js';
import { mb, thousands } from './format.js';
import { defaultRows, rowFor, type Figures, type Row } from './rows.js';
import { ownTree, serverDir } from './serverProcess.js';

/** The settings every row's figures depend on, repeated in its command with the row's own. */
const serverSettings = ['BENCH_SERVER_DIR', 'BENCH_SERVER_NODE_OPTIONS'];

function command(row: Row): string {
  const quote = (v: string) => (/^[\w./=:,-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  const env = [...serverSettings, ...(row.settings ?? [])].filter((name) => process.env[name]).map((name) => `${name}=${quote(process.env[name]!)}`);
  return [...env, 'node --import tsx bench/export.ts', `--row ${row.id}`].join(' ');
}

const header = ['row', 'what', 'records', 'export (import) s', 'records/s', 'MB/s', 'archive MB', 'peak RSS MB (HWM / sampled)', 'zip -r -6 s', 'export / zip', 'other figures', 'command'];

function cells(row: Row, f: Figures): string[] {
  const perSecond = (n?: number) => (n !== undefined && f.seconds ? n / f.seconds : undefined);
  const show = (n: number | undefined, digits: number) => (n === undefined ? '' : n.toFixed(digits));
  const rate = perSecond(f.records);
  return [
    row.id,
    row.what,
    f.records === undefined ? '' : thousands(f.records),
    show(f.seconds, 2),
    rate === undefined ? '' : thousands(Math.round(rate)),
    show(perSecond(f.bytes === undefined ? undefined : f.bytes / 1024 / 1024), 1),
    f.bytes === undefined ? '' : mb(f.bytes),
    f.peak ? `${f.peak.hwmMb.toFixed(0)} / ${f.peak.sampledMb.toFixed(0)}` : '',
    show(f.zipSeconds, 2),
    f.zipSeconds && f.seconds ? `**${(f.seconds / f.zipSeconds).toFixed(2)}**` : '',
    f.notes.join('; '),
    `\`${command(row)}\``,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { row: { type: 'string', multiple: true }, concurrent: { type: 'string' }, list: { type: 'boolean' } },
  });
  const ids = [...(values.row ?? []), ...(values.concurrent ? [`concurrent-${Number(values.concurrent)}`] : [])];
  if (values.list) {
    console.log(defaultRows().join('\n'));
    console.log('memory-N, docs-N-html, docs-N-xml, docs-N-eln, concurrent-N, import-xml-N, import-eln-N (any N); import-mixed-xml, import-mixed-eln; zip64; cluster (needs DATABASE_URL)');
    return;
  }
  const rows = (ids.length ? ids : defaultRows()).map((id) => {
    const row = rowFor(id);
    if (!row) throw new Error(`no row "${id}" (--list names them)`);
    return row;
  });
  if (serverDir === ownTree) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ownTree, stdio: ['ignore', 2, 2] });
  console.error(`Measuring the server of ${serverDir} (${rows.length} rows)…`);

  const bench = await Bench.open();
  const stop = () => void bench.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const table: string[][] = [];
  const started = Date.now();
  // Other work on the machine slows every figure: the table says how busy it was.
  const load = () => os.loadavg()[0]!.toFixed(1);
  const loadBefore = load();
  try {
    for (const row of rows) {
      console.error(`${row.id}: ${row.what}`);
      try {
        table.push(cells(row, await row.run(bench)));
      } catch (error) {
        // The other rows still say something (a checkout may fail one and not the rest).
        console.error(error);
        table.push(cells(row, { notes: [`FAILED: ${error instanceof Error ? error.message : String(error)}`] }));
        process.exitCode = 1;
      }
    }
  } finally {
    await bench.close();
  }
  console.log(`\nServer: ${serverDir}; Node ${process.version}; ${os.availableParallelism()} cores; ${rows.length} rows in ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${loadBefore} before, ${load()} after.\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const line of table) console.log(`| ${line.join(' | ')} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
