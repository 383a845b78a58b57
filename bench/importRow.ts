/**
 * Issue 11's import rows: a corpus exported through the API (the export row of that corpus and
 * format, measured on its own fresh server), then that archive uploaded to `POST /import` by
 * another user, on a fresh server again so that the peak RSS is the import's. The export's time
 * is the baseline: an import does the export's work backwards (parse instead of render, insert
 * instead of select), so much more than the export's time is the import's own cost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { completed, waitForJob, type Bench, type Job } from './bench.js';
import type { CorpusSpec } from './corpus.js';
import { ms, thousands } from './format.js';
import { memoryKb, sampleRss } from './memory.js';
import type { Row } from './rows.js';
import { benchKey } from './serverProcess.js';

/** The records an import created, counted as an export's are (documents, folders and notebooks, files); revisions apart. */
function importedRecords(job: Job): number {
  const c = job.result.counts;
  return c.documents + c.folders + c.notebooks + c.files + c.filesReused;
}

/** A user of their own for each row, so that no import finds files an earlier one stored (filesReused). */
function importer(bench: Bench, id: string): Promise<string> {
  return bench.once(`importer ${id}`, async () => {
    const user = await bench.call('POST', '/sysadmin/users', benchKey, {
      username: `bench-${id}`, email: `${id}@bench.lab`, firstName: 'Bench', lastName: id, password: 'password123', role: 'ROLE_USER',
    });
    return user.apiKey as string;
  });
}

/** Uploads the archive from disk as the form's `file` (a Blob backed by the file, not read into memory) and waits for the job. */
async function importArchive(bench: Bench, apiKey: string, archive: string): Promise<{ job: Job; uploadSeconds: number }> {
  const started = performance.now();
  const form = new FormData();
  form.append('file', await fs.openAsBlob(archive), path.basename(archive));
  const r = await fetch(`${bench.base}/import`, { method: 'POST', headers: { apiKey }, body: form });
  if (r.status !== 202) throw new Error(`POST /import: ${r.status} ${(await r.text()).slice(0, 300)}`);
  const uploadSeconds = (performance.now() - started) / 1000;
  const queued = (await r.json()) as Job;
  return { job: completed(await waitForJob(bench.call, apiKey, queued.id), `importing ${path.basename(archive)}`), uploadSeconds };
}

export function importRow(id: string, spec: CorpusSpec, format: 'xml' | 'eln', what: string, settings: string[] = []): Row {
  return {
    id,
    settings,
    what: `import of the ${what} corpus's own ${format} export`,
    async run(bench) {
      const exported = await bench.exportOf(spec, format);
      const apiKey = await importer(bench, id);
      // The upload limit also caps one import: raised to this archive, as an administrator importing a lab's export would.
      const uploadMb = Math.max(100, Math.ceil(exported.bytes / 1024 / 1024) + 1);
      await bench.restart({ env: { ELNPORT_MAX_UPLOAD_MB: String(uploadMb) } });
      const idleMb = memoryKb(bench.pid, 'VmRSS') / 1024;
      await bench.loopDelay();
      const rss = sampleRss(bench.pid);
      const started = performance.now();
      const { job, uploadSeconds } = await importArchive(bench, apiKey, exported.archive);
      const seconds = (performance.now() - started) / 1000;
      const peak = rss.stop();
      const loop = await bench.loopDelay();
      const { counts, warnings } = job.result;
      const records = importedRecords(job);
      console.error(`  ${id}: ${seconds.toFixed(2)} s, ${records} records, peak ${peak.hwmMb.toFixed(0)} MB, ${warnings.length} warnings`);
      for (const w of warnings.slice(0, 5)) console.error(`    warning: ${w}`);
      return {
        records, seconds, bytes: exported.bytes, peak,
        notes: [
          `export ${exported.seconds.toFixed(2)} s (${thousands(exported.records)} records), import / export **${(seconds / exported.seconds).toFixed(2)}**`,
          `upload ${uploadSeconds.toFixed(2)} s of it`,
          `RSS ${idleMb.toFixed(0)} MB before the import`,
          `created ${counts.documents} documents, ${counts.folders} folders, ${counts.notebooks} notebooks, ${counts.files} files (+${counts.filesReused} reused), ${counts.revisions} revisions`,
          `${warnings.length} warnings`,
          `loop max ${ms(loop.max)} ms`,
        ],
      };
    },
  };
}
