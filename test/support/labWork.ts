import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Account, Lab } from './lab.js';

/** A 2×2 PNG: a real image, small enough to compare byte for byte. */
export const tinyPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

export async function upload(lab: Lab, who: Account, name: string, type: string, bytes: Buffer, caption?: string): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
  if (caption !== undefined) form.append('caption', caption);
  const r = await fetch(`${lab.url}/api/v1/files`, { method: 'POST', headers: { apiKey: who.key }, body: form });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { id: number }).id;
}

/**
 * A notebook entry with 256 KiB of incompressible data attached: an archive big enough to arrive
 * in many pieces, so a download can be broken off half way.
 */
export async function addWork(lab: Lab, who: Account): Promise<{ document: number; file: number }> {
  const file = await upload(lab, who, 'plate reader.bin', 'application/octet-stream', randomBytes(256 * 1024));
  const r = await lab.call('POST', '/documents', { key: who.key, body: { name: 'Plate reads', fields: [{ content: `<p>Raw data <fileId=${file}></p>` }] } });
  assert.equal(r.status, 201, r.text);
  return { document: r.body.id, file };
}

/** Deletes an attachment's stored bytes behind the server's back, so every export of `who`'s work fails. */
export async function loseAttachment(lab: Lab, who: Account): Promise<void> {
  const fileId = await upload(lab, who, 'lost.bin', 'application/octet-stream', Buffer.from('gone soon'));
  const r = await lab.call('POST', '/documents', { key: who.key, body: { name: 'Shows a lost file', fields: [{ content: `<fileId=${fileId}>` }] } });
  assert.equal(r.status, 201, r.text);
  const { blob_key } = await lab.server.store.db.selectFrom('media').select('blob_key').where('record_id', '=', fileId).executeTakeFirstOrThrow();
  await lab.server.blobs.delete(blob_key);
}
