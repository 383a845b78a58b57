import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import assert from 'node:assert/strict';
import type { Answer } from './http.js';
import type { Lab } from './lab.js';
import { tempDir } from './tempDirs.js';

/** Polls a job until it is terminal, as a client would; fails the test after `timeoutMs`. */
export async function waitForJob(lab: Lab, key: string, jobId: number, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const r = await lab.call('GET', `/jobs/${jobId}`, { key });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.body.percentComplete >= last, `percentComplete went down: ${last} -> ${r.body.percentComplete}`);
    last = r.body.percentComplete;
    if (['COMPLETED', 'FAILED', 'ABANDONED'].includes(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${r.body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts an export and waits for it; returns the finished job body. */
export async function exportAndWait(lab: Lab, key: string, pathAndQuery: string): Promise<any> {
  const r = await lab.call('POST', `/export/${pathAndQuery}`, { key });
  assert.equal(r.status, 202, r.text);
  return waitForJob(lab, key, r.body.id);
}

/** Downloads a completed job's archive to a temp file, checking CRC32 and size against its result. */
export async function downloadArchive(lab: Lab, key: string, job: any): Promise<string> {
  assert.equal(job.status, 'COMPLETED', JSON.stringify(job));
  const enclosure = job._links[0];
  assert.equal(enclosure.rel, 'enclosure');
  const response = await fetch(enclosure.link, { headers: { apiKey: key, accept: 'application/octet-stream' } });
  assert.equal(response.status, 200);
  const bytes = Buffer.from(await response.arrayBuffer());
  assert.equal(bytes.length, job.result.size);
  assert.equal(String(zlib.crc32(bytes)), job.result.checksum);
  const file = path.join(tempDir('elnport-archive-'), path.basename(new URL(enclosure.link).pathname));
  fs.writeFileSync(file, bytes);
  return file;
}

/** Both independent readers must accept the archive. */
export function checkZip(file: string): void {
  const unzip = spawnSync('unzip', ['-tq', file], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, `unzip -t failed: ${unzip.stdout}${unzip.stderr}`);
  const python = spawnSync(
    'python3',
    ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nprint(bad or "")\nsys.exit(1 if bad else 0)', file],
    { encoding: 'utf8' },
  );
  assert.equal(python.status, 0, `python zipfile testzip failed: ${python.stdout}${python.stderr}`);
}

export function entries(file: string): string[] {
  const out = execFileSync('python3', ['-c', 'import sys, zipfile\nprint("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter(Boolean);
}

export function extract(file: string): string {
  const dir = tempDir('elnport-extract-');
  execFileSync('unzip', ['-q', file, '-d', dir]);
  return dir;
}

/** Every relative href/src in every HTML page must name a file that is in the archive. */
export function unresolvedLinks(root: string): string[] {
  const broken: string[] = [];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const page of walk(root).filter((f) => f.endsWith('.html'))) {
    const html = fs.readFileSync(page, 'utf8');
    for (const match of html.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
      const link = match[1]!.replace(/&amp;/g, '&');
      if (/^(https?:|mailto:|#|data:)/i.test(link) || link === '') continue;
      const target = path.resolve(path.dirname(page), decodeURIComponent(link.split('#')[0]!.split('?')[0]!));
      if (!target.startsWith(root) || !fs.existsSync(target)) broken.push(`${path.relative(root, page)} -> ${link}`);
    }
  }
  return broken;
}

/** RSpace's own XSDs, from the newest fixture archive (read in place, never copied into the project). */
export function rspaceSchemas(): { documentSchema: string; formSchema: string } {
  const fixture = path.resolve('../shared/fixtures/rspace/RSPAC-1917-1-61chemtest.zip');
  const dir = tempDir('elnport-rspace-xsd-');
  const documentSchema = path.join(dir, 'documentSchema.xsd');
  const formSchema = path.join(dir, 'formSchema.xsd');
  fs.writeFileSync(documentSchema, execFileSync('unzip', ['-p', fixture, '*/documentSchema.xsd']));
  fs.writeFileSync(formSchema, execFileSync('unzip', ['-p', fixture, '*/formSchema.xsd']));
  return { documentSchema, formSchema };
}

export function xmllint(schema: string, files: string[]): { ok: boolean; output: string } {
  if (files.length === 0) return { ok: true, output: '' };
  const r = spawnSync('xmllint', ['--noout', '--schema', schema, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** POSTs an archive to /import (with `folderId` when given, a string as sent); the answer, whatever it is. */
export async function startImport(lab: Lab, key: string, file: string, folderId?: number | string): Promise<Answer> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(fs.readFileSync(file))]), path.basename(file));
  if (folderId !== undefined) form.append('folderId', String(folderId));
  const r = await fetch(`${lab.url}/api/v1/import`, { method: 'POST', headers: { apiKey: key }, body: form });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: JSON.parse(text), text };
}

/** Imports an archive (into `folderId` when given) and waits for the job; returns the finished job body. */
export async function importAndWait(lab: Lab, key: string, file: string, folderId?: number, timeoutMs?: number): Promise<any> {
  const started = await startImport(lab, key, file, folderId);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return waitForJob(lab, key, started.body.id, timeoutMs);
}

/** The metadata's @graph of a .eln file, read by unzip. */
export function crateGraph(file: string): any[] {
  const text = execFileSync('unzip', ['-p', file, '*/ro-crate-metadata.json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(text)['@graph'] as any[];
}
