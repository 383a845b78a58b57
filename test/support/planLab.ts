import assert from 'node:assert/strict';
import type { ExportRequest } from '../../src/domain/exportJob.js';
import type { Viewer } from '../../src/domain/permissions.js';
import { loadViewer } from '../../src/content/access.js';
import { findUserById } from '../../src/store/queries/users.js';
import { createCast, type Account, type Lab } from './lab.js';
import { upload } from './labWork.js';

/**
 * The work the plan tests export, made through the API as users make it, then bent where the API
 * would refuse (a record of bob's inside alice's folder, links alice could not make):
 *
 *   alice's home
 *   ├── Project                 folder
 *   │   ├── Notebook            notebook: Day 2 (shows gel.png), Day 10
 *   │   ├── Day 1               shows gel.png, links zeta
 *   │   ├── Bob stray           bob's document: alice may not read it
 *   │   └── Bob folder          bob's folder: alice may not read it
 *   │       └── Inside bob      alice's document
 *   ├── zeta                    links Äpfel, and bob's notes (a link alice could not make)
 *   ├── Äpfel                   shows notes.txt
 *   └── Empty                   folder
 *   alice's gallery: gel.png (1000 bytes), notes.txt (300 bytes)
 *   bob's home: Bob notes (shows bob.bin, 700 bytes)
 *   pat's home: Pat plan; Pat lab's shared folder (pat's)
 */
export interface PlanLab {
  alice: Account;
  bob: Account;
  pi: Account;
  ids: Record<
    | 'aliceHome' | 'aliceGallery' | 'project' | 'notebook' | 'day1' | 'day2' | 'day10' | 'bobStray' | 'bobFolder' | 'insideBob'
    | 'zeta' | 'apfel' | 'empty' | 'gel' | 'notes' | 'bobHome' | 'bobGallery' | 'bobNotes' | 'bobBin' | 'patHome' | 'patGallery' | 'patPlan' | 'shared',
    number
  >;
  groupId: number;
  sizes: { gel: number; notes: number; bobBin: number };
}

export async function buildPlanLab(lab: Lab): Promise<PlanLab> {
  const { alice, bob, pi } = await createCast(lab);
  const db = lab.server.store.db;
  const post = async (who: Account, path: string, body: unknown): Promise<number> => {
    const r = await lab.call('POST', path, { key: who.key, body });
    assert.equal(r.status, 201, r.text);
    return r.body.id;
  };
  const folder = (who: Account, name: string, parentFolderId: number, notebook = false) => post(who, '/folders', { name, parentFolderId, notebook });
  const doc = (who: Account, name: string, parentFolderId: number, content = '<p>work</p>') =>
    post(who, '/documents', { name, parentFolderId, fields: [{ content }] });

  const sizes = { gel: 1000, notes: 300, bobBin: 700 };
  const gel = await upload(lab, alice, 'gel.png', 'image/png', Buffer.alloc(sizes.gel, 1));
  const notes = await upload(lab, alice, 'notes.txt', 'text/plain', Buffer.alloc(sizes.notes, 'n'));
  const bobBin = await upload(lab, bob, 'bob.bin', 'application/octet-stream', Buffer.alloc(sizes.bobBin, 2));
  const bobNotes = await doc(bob, 'Bob notes', bob.homeFolderId, `<p><fileId=${bobBin}></p>`);

  const project = await folder(alice, 'Project', alice.homeFolderId);
  const notebook = await folder(alice, 'Notebook', project, true);
  const day2 = await doc(alice, 'Day 2', notebook, `<p><fileId=${gel}></p>`);
  const day10 = await doc(alice, 'Day 10', notebook);
  const apfel = await doc(alice, 'Äpfel', alice.homeFolderId, `<p><fileId=${notes}></p>`);
  const zeta = await doc(alice, 'zeta', alice.homeFolderId, `<p><docId=${apfel}></p>`);
  const day1 = await doc(alice, 'Day 1', project, `<p><fileId=${gel}> <docId=${zeta}></p>`);
  const empty = await folder(alice, 'Empty', alice.homeFolderId);
  const bobStray = await doc(bob, 'Bob stray', bob.homeFolderId);
  const bobFolder = await folder(bob, 'Bob folder', bob.homeFolderId);
  const insideBob = await doc(alice, 'Inside bob', alice.homeFolderId);
  const patPlan = await doc(pi, 'Pat plan', pi.homeFolderId);

  await db.updateTable('records').set({ parent_id: project }).where('id', 'in', [bobStray, bobFolder]).execute();
  await db.updateTable('records').set({ parent_id: bobFolder }).where('id', '=', insideBob).execute();
  const zetaField = await db.selectFrom('fields').select('id').where('document_id', '=', zeta).executeTakeFirstOrThrow();
  await db.insertInto('field_links').values({ field_id: zetaField.id, target_id: bobNotes }).execute();

  const galleryOf = async (who: Account) => (await findUserById(db, who.id))!.galleryFolderId;
  const group = await db.selectFrom('lab_groups').select(['id', 'shared_folder_id']).where('name', '=', 'Pat lab').executeTakeFirstOrThrow();
  return {
    alice,
    bob,
    pi,
    groupId: group.id,
    sizes,
    ids: {
      aliceHome: alice.homeFolderId,
      aliceGallery: await galleryOf(alice),
      project,
      notebook,
      day1,
      day2,
      day10,
      bobStray,
      bobFolder,
      insideBob,
      zeta,
      apfel,
      empty,
      gel,
      notes,
      bobHome: bob.homeFolderId,
      bobGallery: await galleryOf(bob),
      bobNotes,
      bobBin,
      patHome: pi.homeFolderId,
      patGallery: await galleryOf(pi),
      patPlan,
      shared: group.shared_folder_id!,
    },
  };
}

export async function viewerOf(lab: Lab, userId: number): Promise<Viewer> {
  const db = lab.server.store.db;
  return loadViewer(db, (await findUserById(db, userId))!);
}

export async function sysadminViewer(lab: Lab): Promise<Viewer> {
  const db = lab.server.store.db;
  const { id } = await db.selectFrom('users').select('id').where('role', '=', 'ROLE_SYSADMIN').executeTakeFirstOrThrow();
  return viewerOf(lab, id);
}

export function exportRequest(scope: ExportRequest['scope'], more: Partial<ExportRequest> = {}): ExportRequest {
  return {
    format: 'html',
    scope,
    targetId: null,
    selections: [],
    includeRevisionHistory: false,
    maxLinkLevel: 1,
    modifiedSince: null,
    sourceUrl: 'http://localhost',
    ...more,
  };
}
