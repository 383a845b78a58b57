/**
 * The opt-in ZIP64 row (BENCH_ZIP64=1, or `--row zip64`): 9 attachments of 512 MiB of random
 * bytes (4.5 GiB, past the 4 GiB that plain zip fields can say), each in a document of its own,
 * exported through the API; the archive is then read by Info-ZIP's `unzip -t` and by Python's
 * zipfile (testzip, and every attachment's size in the central directory). The attachments as
 * uploaded are removed once they are, the archive once it is checked, and the server's copies
 * with the bench's scratch directory.
 */
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { completed, recordsOf, run, waitForJob, type Bench } from './bench.js';
import { buildCorpus, type Attachment } from './corpus.js';
import { sampleRss } from './memory.js';
import type { Figures, Row } from './rows.js';
import { benchKey } from './serverProcess.js';

const count = 9;
const bytes = 512 * 1024 * 1024;
const gib = 1024 ** 3;
/** Server settings for uploads of this size (the default limit is 100 MB). */
const env = { ELNPORT_MAX_UPLOAD_MB: '600' };

/** The attachments as uploaded, the blobs the server keeps of them, and the archive. */
const diskNeeded = 3 * count * bytes + 2 * gib;

const checkWithPython = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    infos = z.infolist()
    print(json.dumps({
        "bad": z.testzip(),
        "entries": len(infos),
        "big": sum(1 for i in infos if i.file_size == int(sys.argv[2])),
        "past4GiB": sum(1 for i in infos if i.header_offset >= 2**32),
    }))
`;

/** An attachment written to disk in 16 MiB pieces, so that neither this process nor the upload holds it whole. */
function randomFile(dir: string, i: number): Attachment {
  return {
    name: `raw-${i}.bin`,
    bytes,
    async body() {
      const file = path.join(dir, `raw-${i}.bin`);
      const fd = fs.openSync(file, 'w');
      const piece = Buffer.alloc(16 * 1024 * 1024);
      for (let written = 0; written < bytes; written += piece.length) fs.writeSync(fd, randomFillSync(piece));
      fs.closeSync(fd);
      return fs.openAsBlob(file, { type: 'application/octet-stream' });
    },
  };
}

async function zip64(bench: Bench): Promise<Figures> {
  const free = fs.statfsSync(bench.workDir);
  const available = free.bavail * free.bsize;
  if (available < diskNeeded) {
    throw new Error(`the ZIP64 row needs ${(diskNeeded / gib).toFixed(1)} GiB free under ${bench.workDir}, and ${(available / gib).toFixed(1)} GiB are: not run`);
  }
  const raw = fs.mkdtempSync(path.join(bench.workDir, 'zip64-'));
  try {
    const corpus = await bench.once('corpus zip64', async () => {
      await bench.restart({ env });
      return buildCorpus(bench.call, bench.base, benchKey, { name: 'zip64', documents: count, attachments: Array.from({ length: count }, (_, i) => randomFile(raw, i)) });
    });
    fs.rmSync(raw, { recursive: true, force: true });
    await bench.restart({ env });
    const rss = sampleRss(bench.pid);
    const started = performance.now();
    const queued = await bench.call('POST', '/export/html/user', corpus.apiKey);
    const job = completed(await waitForJob(bench.call, corpus.apiKey, queued.id, 200), 'ZIP64 export');
    const seconds = (performance.now() - started) / 1000;
    const peak = rss.stop();
    const archive = await bench.verifiedArchive(job);
    console.error(`  zip64: ${seconds.toFixed(1)} s, ${job.result.size} bytes, CRC32 and sha256 as the job says; reading it with unzip -t and zipfile…`);
    let unzip: string;
    try {
      unzip = (await run('unzip', ['-tq', archive])).stdout.trim();
    } catch (error: any) {
      unzip = `FAILED: ${String(error.stdout ?? error.message).trim().split('\n').slice(-2).join(' ')}`;
    }
    const python = JSON.parse((await run('python3', ['-c', checkWithPython, archive, String(bytes)])).stdout);
    // 4.5 GiB that no later row needs.
    await bench.call('DELETE', `/jobs/${job.id}`, corpus.apiKey);
    return {
      records: recordsOf(job), seconds, bytes: job.result.size, peak,
      notes: [
        `unzip -t: ${unzip}`,
        `zipfile: testzip ${python.bad === null ? 'OK' : `bad entry ${python.bad}`}, ${python.big}/${count} entries of ${bytes} bytes, ${python.past4GiB} entries past 4 GiB, ${python.entries} in all`,
      ],
    };
  } finally {
    fs.rmSync(raw, { recursive: true, force: true });
  }
}

export const zip64Row: Row = { id: 'zip64', what: `ZIP64: ${count} × 512 MiB random attachments (${((count * bytes) / gib).toFixed(1)} GiB), html`, run: zip64 };
