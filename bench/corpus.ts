/**
 * The bench's corpora, each the work of its own user, built through the content API with many
 * requests in flight (the server saves ~190 documents/s one at a time and ~600/s with 64 in
 * flight, which is what makes 100,000 documents a matter of minutes rather than of ten).
 */
import { randomBytes } from 'node:crypto';
import type { Call } from './serverProcess.js';

export interface Attachment {
  name: string;
  bytes: number;
  /** Made when uploaded, so that a corpus's attachments are not all in memory at once. */
  body(): Promise<Blob>;
}

export interface CorpusSpec {
  name: string;
  documents: number;
  attachments: Attachment[];
}

export interface Corpus {
  spec: CorpusSpec;
  userId: number;
  apiKey: string;
  containers: number;
}

const inFlight = 64;

/** Runs `work(i)` for i in [0, count) with at most `width` at once. */
export async function inParallel(count: number, width: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

/** A small seeded generator, so that compressible attachments are the same from run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textOf(bytes: number, type: string, line: (j: number) => string, header = ''): Blob {
  const parts = [header];
  let length = header.length;
  for (let j = 0; length < bytes; j++) {
    const l = line(j);
    parts.push(l);
    length += l.length;
  }
  return new Blob([parts.join('').slice(0, bytes)], { type });
}

const mb = 1024 * 1024;

/** Random bytes: a camera's JPEG is as incompressible as this, and is stored, not deflated. */
export function image(name: string, bytes: number): Attachment {
  return { name, bytes, body: async () => new Blob([new Uint8Array(randomBytes(bytes))], { type: 'image/jpeg' }) };
}

/** The mixed corpus's compressible half, as the bench had it before issue 9 (a smooth table). */
export function sineTable(name: string, bytes: number): Attachment {
  return { name, bytes, body: async () => textOf(bytes, 'text/csv', (j) => `${j},${(Math.sin(j) * 1000).toFixed(3)}\n`) };
}

const wells = Array.from({ length: 96 }, (_, i) => `${'ABCDEFGH'[i % 8]}${String((i >> 3) + 1).padStart(2, '0')}`);

/** What labs attach: a plate reader's CSV, a results JSON, an instrument's log, noisy numbers in each. */
export function labAttachment(i: number, bytes: number): Attachment {
  const random = prng(i + 1);
  const od = () => (0.05 + random() * 1.2).toFixed(4);
  const temp = () => (36.8 + random() * 0.4).toFixed(2);
  const kinds = [
    {
      name: `plate-reader-${i}.csv`,
      make: () => textOf(bytes, 'text/csv', (j) => `${wells[j % 96]},${(j / 96) | 0},${od()},${temp()}\n`, 'well,minute,od600,temp_c\n'),
    },
    {
      name: `results-${i}.json`,
      make: () => textOf(bytes, 'application/json', (j) => `  {"sample": "S-${String(j).padStart(6, '0')}", "well": "${wells[j % 96]}", "od600": ${od()}, "temp_c": ${temp()}, "passed": ${random() > 0.1}},\n`, '[\n'),
    },
    {
      name: `instrument-${i}.log`,
      make: () => textOf(bytes, 'text/plain', (j) => `2026-03-14T${String(8 + ((j / 3600) | 0) % 12).padStart(2, '0')}:${String(((j / 60) | 0) % 60).padStart(2, '0')}:${String(j % 60).padStart(2, '0')}.${String((random() * 1000) | 0).padStart(3, '0')}Z INFO pump ${1 + (j % 3)} flow ${(1 + random()).toFixed(3)} mL/min pressure ${(3 + random()).toFixed(2)} bar\n`),
    },
  ];
  const kind = kinds[i % kinds.length]!;
  return { name: kind.name, bytes, body: async () => kind.make() };
}

export const corpora = {
  /** Documents only, as most of a lab's notebook is. */
  documents: (documents: number): CorpusSpec => ({ name: `docs-${documents}`, documents, attachments: [] }),
  /** The corpus of the bench before issue 9: half of the attachments' bytes incompressible. */
  mixed: (files: number, fileMb: number): CorpusSpec => ({
    name: 'mixed',
    documents: 5000,
    attachments: Array.from({ length: files }, (_, i) => (i % 2 === 0 ? image(`image-${i}.jpg`, fileMb * mb) : sineTable(`data-${i}.csv`, fileMb * mb))),
  }),
  /** Issue 9's second corpus: 40 × 2 MB images beside 40 × 2.7 MB of text, CSV and JSON. */
  attachments: (): CorpusSpec => ({
    name: 'attachments',
    documents: 2000,
    attachments: Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? image(`image-${i}.jpg`, 2 * mb) : labAttachment(i, Math.round(2.7 * mb)))),
  }),
};

export async function upload(base: string, apiKey: string, attachment: Attachment): Promise<number> {
  const form = new FormData();
  form.append('file', await attachment.body(), attachment.name);
  const r = await fetch(`${base}/files`, { method: 'POST', headers: { apiKey }, body: form });
  if (r.status !== 201) throw new Error(`uploading ${attachment.name}: ${r.status} ${(await r.text()).slice(0, 300)}`);
  return ((await r.json()) as { id: number }).id;
}

const paragraph = '<p>Incubated at 37 °C for 2 h; OD600 measured every 30 min. Results consistent with the previous run.</p>'.repeat(6);

/** A user, their attachments, 50 folders and notebooks, and documents spread over them. */
export async function buildCorpus(call: Call, base: string, sysadminKey: string, spec: CorpusSpec): Promise<Corpus> {
  const started = Date.now();
  const user = await call('POST', '/sysadmin/users', sysadminKey, {
    username: `bench-${spec.name}`, email: `${spec.name}@bench.lab`, firstName: 'Bench', lastName: spec.name, password: 'password123', role: 'ROLE_USER',
  });
  const apiKey: string = user.apiKey;
  const fileIds: number[] = [];
  // Few at once: each may be a large body built in this process.
  await inParallel(spec.attachments.length, 4, async (i) => {
    fileIds[i] = await upload(base, apiKey, spec.attachments[i]!);
  });
  const containers: number[] = [];
  await inParallel(50, 8, async (i) => {
    containers[i] = (await call('POST', '/folders', apiKey, { name: `${i % 2 ? 'Notebook' : 'Folder'} ${i}`, notebook: i % 2 === 1 })).id;
  });
  // Attachment k goes in document ⌊k·documents/attachments⌋: spread over the corpus, one per document at most.
  const attachedTo = new Map(fileIds.map((id, k) => [Math.floor((k * spec.documents) / fileIds.length), id]));
  await inParallel(spec.documents, inFlight, async (i) => {
    const file = attachedTo.get(i);
    await call('POST', '/documents', apiKey, {
      name: `Experiment ${i}`,
      tags: `bench,batch${i % 10}`,
      parentFolderId: containers[i % containers.length],
      form: { id: 2 },
      fields: [{ content: paragraph }, { content: paragraph }, { content: `${paragraph}${file ? `<fileId=${file}>` : ''}` }, { content: '<p>Done.</p>' }],
    });
  });
  const seconds = (Date.now() - started) / 1000;
  const attachedMb = spec.attachments.reduce((n, a) => n + a.bytes, 0) / 1024 / 1024;
  console.error(`  corpus ${spec.name}: ${spec.documents} documents and ${spec.attachments.length} attachments (${attachedMb.toFixed(0)} MB) in ${seconds.toFixed(1)} s`);
  return { spec, userId: user.id, apiKey, containers: containers.length };
}
