import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Config } from '../config.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { Store } from '../store/db.js';
import { createDocument } from '../content/documents.js';
import { addGalleryFile } from '../content/files.js';
import { createFolder } from '../content/folders.js';
import { createGroup } from '../content/groups.js';
import { loadViewer } from '../content/access.js';
import { createUser, resetApiKey } from '../content/users.js';
import type { User } from '../domain/model.js';
import { countUsers, findUserByUsername } from '../store/queries/users.js';

export interface DemoKey {
  username: string;
  role: string;
  apiKey: string;
  /** To sign in to the exports page; the first sysadmin has none (it is made without one). */
  password?: string;
}

/** A small RGB PNG drawn by `pixel`, so the demo needs no image files of its own. */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), y * (width * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function seed(store: Store, blobs: BlobStore): Promise<DemoKey[]> {
  const db = store.db;
  const people: [string, string, string, User['role']][] = [
    ['pi', 'Paula', 'Investigator', 'ROLE_PI'],
    ['alice', 'Alice', 'Smith', 'ROLE_USER'],
    ['bob', 'Bob', 'Jones', 'ROLE_USER'],
  ];
  const keys: DemoKey[] = [];
  const users: Record<string, User> = {};
  for (const [username, firstName, lastName, role] of people) {
    const password = randomBytes(9).toString('base64url');
    const { user, apiKey } = await createUser(db, store.apiKeys, { username, firstName, lastName, role, email: `${username}@demo.lab`, password });
    users[username] = user;
    keys.push({ username, role, apiKey, password });
  }
  await createGroup(db, {
    displayName: 'Demo Lab',
    type: 'LAB_GROUP',
    members: [
      { username: 'pi', roleInGroup: 'PI' },
      { username: 'alice', roleInGroup: 'DEFAULT' },
    ],
  });

  const alice = await loadViewer(db, users.alice!);
  const upload = async (fileName: string, contentType: string, bytes: Buffer, caption: string) => {
    const blob = await blobs.put(Readable.from([bytes]));
    return (await addGalleryFile(db, blobs, alice, { fileName, contentType, caption }, blob)).record.id;
  };
  const gel = await upload('gel-2026-11-20.png', 'image/png', png(96, 64, (x, y) => (x % 24 < 4 && y > 8 && y < 56 ? [30, 30, 30] : [220, 225, 235])), 'Agarose gel, lanes 1–4');
  const curve = await upload('growth-curve.png', 'image/png', png(120, 80, (x, y) => (Math.abs(80 - y - 70 / (1 + Math.exp(-(x - 60) / 10))) < 2 ? [200, 40, 40] : [255, 255, 255])), 'E. coli growth at 37 °C');
  const csv = await upload('od600.csv', 'text/csv', Buffer.from('time_min,od600\n0,0.05\n30,0.09\n60,0.18\n90,0.35\n120,0.61\n'), 'Raw OD600 readings');
  const protocol = await upload('miniprep-protocol.txt', 'text/plain', Buffer.from('1. Pellet 2 ml culture\n2. Resuspend in P1\n3. Lyse with P2, 5 min\n4. Neutralise with N3\n5. Spin, bind, wash, elute in 50 µl EB\n'), 'Plasmid miniprep');

  const project = await createFolder(db, alice, { name: 'Project Aspirin' });
  const notebook = await createFolder(db, alice, { name: 'Lab notebook 2026', notebook: true, parentFolderId: project.id });
  const method = await createDocument(db, alice, {
    name: 'Miniprep method',
    tags: 'protocol,plasmid',
    parentFolderId: project.id,
    fields: [{ content: `<p>Standard alkaline lysis miniprep.</p><p>Protocol: <fileId=${protocol}></p>` }],
  });
  const day1 = await createDocument(db, alice, {
    name: 'Day 1: growth curve',
    tags: 'ecoli,od600',
    parentFolderId: notebook.id,
    form: { id: 2 },
    fields: [
      { content: '<p>Measure <em>E. coli</em> DH5α growth at 37 °C.</p>' },
      { content: `<p>OD600 every 30 min. Raw data: <fileId=${csv}></p>` },
      { content: `<p>Doubling time ≈ 31 min.</p><p><fileId=${curve}></p>` },
      { content: '<p>Growth is normal; proceed to plasmid prep.</p>' },
    ],
  });
  await createDocument(db, alice, {
    name: 'Day 2: plasmid prep and gel',
    tags: 'ecoli,gel',
    parentFolderId: notebook.id,
    form: { id: 2 },
    fields: [
      { content: `<p>Purify plasmid from the Day 1 culture (<docId=${day1.record.id}>).</p>` },
      { content: `<p>Followed <docId=${method.record.id}>.</p>` },
      { content: `<table><tr><th>Lane</th><th>Sample</th></tr><tr><td>1</td><td>Ladder</td></tr><tr><td>2–4</td><td>Clones A–C</td></tr></table><p><fileId=${gel}></p>` },
      { content: '<p>Clones B and C carry the insert.</p>' },
    ],
  });
  await createDocument(db, alice, { name: 'Ideas', parentFolderId: project.id, fields: [{ content: '<ul><li>Try a shorter lysis</li></ul>' }] });

  const pi = await loadViewer(db, users.pi!);
  await createDocument(db, pi, { name: 'Group meeting notes', tags: 'meeting', fields: [{ content: '<p>Alice: growth curve done; next, sequencing.</p>' }] });
  const bob = await loadViewer(db, users.bob!);
  await createDocument(db, bob, { name: 'Buffer recipes', tags: 'buffers', fields: [{ content: '<p>TAE 50×: 242 g Tris, 57.1 ml acetic acid, 100 ml 0.5 M EDTA.</p>' }] });
  return keys;
}

/**
 * Adds the demo lab to an empty database and returns every demo user's key. The keys are kept in
 * `<data dir>/demo-keys.json` so later starts can print them again; a demo is not for real work.
 */
export async function seedDemoLab(
  config: Config,
  parts: { store: Store; blobs: BlobStore },
  sysadminKey: string | null,
): Promise<DemoKey[]> {
  const keysFile = path.join(config.dataDir, 'demo-keys.json');
  if (fs.existsSync(keysFile)) return JSON.parse(fs.readFileSync(keysFile, 'utf8')) as DemoKey[];
  if ((await countUsers(parts.store.db)) > 1) {
    console.log('The database already holds users; no demo lab was added.');
    return [];
  }
  const keys = await seed(parts.store, parts.blobs);
  const sysadmin = await findUserByUsername(parts.store.db, 'sysadmin');
  if (sysadmin) {
    const apiKey = sysadminKey ?? config.sysadminApiKey ?? (await resetApiKey(parts.store.db, parts.store.apiKeys, sysadmin.id));
    keys.unshift({ username: sysadmin.username, role: sysadmin.role, apiKey });
  }
  fs.writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
