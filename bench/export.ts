/**
 * `npm run bench`: builds a corpus in a temporary data dir (documents across notebooks and
 * folders, several hundred MB of attachments, part of them already-compressed images), exports
 * it in both formats through the HTTP API of a real server process, and reports records/s, MB/s,
 * the server's peak RSS during each export, and the ratio of our export time to `zip -r -6` over
 * the same content rendered to disk, measured in the same run.
 *
 * Sizes can be changed: BENCH_DOCS (default 5000), BENCH_FILES (default 40), BENCH_FILE_MB (default 8).
 * BENCH_SERVER_NODE_OPTIONS passes Node options to the server alone, e.g. --max-old-space-size=96
 * to see how much of its peak RSS is heap the garbage collector had not yet reclaimed.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { benchKey, caller, serverProcess } from './serverProcess.js';

const documents = Number(process.env.BENCH_DOCS ?? 5000);
const fileCount = Number(process.env.BENCH_FILES ?? 40);
const fileMb = Number(process.env.BENCH_FILE_MB ?? 8);
const key = benchKey;

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-'));
  const { base, serve, stop } = await serverProcess(dataDir, process.env.BENCH_SERVER_NODE_OPTIONS ?? '');
  let server = await serve();
  try {
    const call = caller(base);

    console.log(`Building the corpus: ${documents} documents, ${fileCount} files of ${fileMb} MB…`);
    const user = await call('POST', '/sysadmin/users', key, {
      username: 'bench', email: 'bench@lab', firstName: 'Bench', lastName: 'Mark', password: 'password123', role: 'ROLE_USER',
    });
    const userKey: string = user.apiKey;
    const fileIds: number[] = [];
    for (let i = 0; i < fileCount; i++) {
      // Half are "images" of random bytes (already compressed), half compressible CSV-like text.
      const image = i % 2 === 0;
      const bytes = image
        ? randomBytes(fileMb * 1024 * 1024)
        : Buffer.from(Array.from({ length: fileMb * 1024 * 64 }, (_, j) => `${j},${(Math.sin(j) * 1000).toFixed(3)}\n`).join('').slice(0, fileMb * 1024 * 1024));
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type: image ? 'image/jpeg' : 'text/csv' }), image ? `image-${i}.jpg` : `data-${i}.csv`);
      const r = await fetch(`${base}/files`, { method: 'POST', headers: { apiKey: userKey }, body: form });
      fileIds.push(((await r.json()) as { id: number }).id);
    }
    const containers: number[] = [];
    for (let i = 0; i < 50; i++) {
      containers.push((await call('POST', '/folders', userKey, { name: `${i % 2 ? 'Notebook' : 'Folder'} ${i}`, notebook: i % 2 === 1 })).id);
    }
    const paragraph = '<p>Incubated at 37 °C for 2 h; OD600 measured every 30 min. Results consistent with the previous run.</p>'.repeat(6);
    for (let i = 0; i < documents; i++) {
      const attach = i % Math.ceil(documents / fileCount) === 0 ? `<fileId=${fileIds[(i / Math.ceil(documents / fileCount)) | 0]}>` : '';
      await call('POST', '/documents', userKey, {
        name: `Experiment ${i}`,
        tags: `bench,batch${i % 10}`,
        parentFolderId: containers[i % containers.length],
        form: { id: 2 },
        fields: [{ content: paragraph }, { content: paragraph }, { content: `${paragraph}${attach}` }, { content: '<p>Done.</p>' }],
      });
    }
    const records = documents + fileCount + containers.length;
    // A fresh process, so the peak RSS is the export's and not the uploads'.
    await stop(server);
    server = await serve();
    const idleRss = rssKb(server.pid!);
    const attachmentMb = fileCount * fileMb;

    const rows: string[][] = [];
    for (const format of ['html', 'xml']) {
      const started = Date.now();
      let peak = rssKb(server.pid!);
      const job = await call('POST', `/export/${format}/user`, userKey);
      let status: any;
      for (;;) {
        peak = Math.max(peak, rssKb(server.pid!));
        status = await call('GET', `/jobs/${job.id}`, userKey);
        if (['COMPLETED', 'FAILED', 'ABANDONED'].includes(status.status)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const seconds = (Date.now() - started) / 1000;
      if (status.status !== 'COMPLETED') throw new Error(`${format} export ${status.status}: ${JSON.stringify(status.result)}`);
      const archive = path.join(dataDir, 'archives', status.result.archiveName);
      if (String(zlib.crc32(fs.readFileSync(archive))) !== status.result.checksum) throw new Error('checksum mismatch');

      // The baseline: the same content, rendered to disk, zipped by Info-ZIP at level 6.
      const rendered = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-bench-rendered-'));
      execFileSync('unzip', ['-q', archive, '-d', rendered]);
      const zipped = path.join(rendered, '..', `${path.basename(rendered)}.zip`);
      const zipStart = Date.now();
      execFileSync('zip', ['-r', '-6', '-q', zipped, '.'], { cwd: rendered });
      const zipSeconds = (Date.now() - zipStart) / 1000;
      const zipBytes = fs.statSync(zipped).size;
      fs.rmSync(rendered, { recursive: true, force: true });
      fs.rmSync(zipped, { force: true });

      rows.push([
        format,
        seconds.toFixed(2),
        (records / seconds).toFixed(0),
        (status.result.size / 1024 / 1024 / seconds).toFixed(1),
        (status.result.size / 1024 / 1024).toFixed(1),
        (peak / 1024).toFixed(0),
        zipSeconds.toFixed(2),
        (zipBytes / 1024 / 1024).toFixed(1),
        (seconds / zipSeconds).toFixed(2),
      ]);
    }
    console.log(`\nCorpus: ${documents} documents, ${containers.length} folders/notebooks, ${fileCount} files (${attachmentMb} MB, half incompressible images); ${records} records.`);
    const header = ['format', 'export s', 'records/s', 'MB/s', 'archive MB', 'peak RSS MB', 'zip -r -6 s', 'zip MB', 'ratio to zip'];
    console.log(header.join('\t'));
    for (const row of rows) console.log(row.join('\t'));
    console.log(`Server RSS before the exports: ${(idleRss / 1024).toFixed(0)} MB.`);
  } finally {
    await stop(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
