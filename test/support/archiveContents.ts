import { documentFolder, folderPage as folderPageName, mediaFolder } from '../../src/domain/archiveNames.js';
import { azSortKey } from '../../src/domain/azOrder.js';
import type { ExportFile, ExportFolder, ExportManifest, ExportUser } from '../../src/domain/exportModel.js';
import type { ArchiveContents, IndexedItem, ListedDocument } from '../../src/export/archiveContents.js';

/** A document of the archive and the folder holding it (null or a folder outside the archive: the top). */
export type PlacedDocument = ListedDocument & { parentId: number | null };

export interface ContentsArrays {
  manifest: ExportManifest;
  users?: ExportUser[];
  folders?: ExportFolder[];
  documents?: PlacedDocument[];
  /** Files with their own media_ folder. */
  files?: ExportFile[];
}

/** An array as the contents give their lists. */
export async function* each<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

const byId = <T extends { id: number }>(items: T[]) => [...items].sort((a, b) => a.id - b.id);

/**
 * What the renderers read, from arrays, for their unit tests: the same answers the plan table
 * gives (id order, A–Z order by azSortKey then id), without a database.
 */
export function contentsOf({ manifest, users = [], folders = [], documents = [], files = [] }: ContentsArrays): ArchiveContents {
  const inArchive = new Set(folders.map((f) => f.id));
  const parentOf = (id: number | null) => (id !== null && inArchive.has(id) ? id : null);
  const named = (item: IndexedItem) => {
    const record = item.type === 'document' ? item.document : item.type === 'folder' ? item.folder : item.file;
    return { item, key: azSortKey(record.name), id: record.id };
  };
  return {
    manifest,
    users,
    folders: () => each(byId(folders)),
    folder: (id) => Promise.resolve(folders.find((f) => f.id === id)),
    folderContents: (folderId) => ({
      folders: each(byId(folders.filter((f) => f.parentId === folderId))),
      documents: each(byId(documents.filter((d) => parentOf(d.parentId) === folderId)).map(({ parentId: _, ...listed }) => listed)),
      files: each(byId(files.filter((f) => parentOf(f.parentFolderId) === folderId))),
    }),
    byName: () =>
      each(
        [
          ...documents.map(({ parentId: _, ...document }) => named({ type: 'document', document })),
          ...folders.map((folder) => named({ type: 'folder', folder })),
          ...files.map((file) => named({ type: 'file', file })),
        ]
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id - b.id))
          .map(({ item }) => item),
      ),
  };
}

/** Joins a page written in pieces, checking that no piece is larger than `limit` characters. */
export async function joinPieces(data: string | AsyncIterable<string>, limit = Infinity): Promise<string> {
  if (typeof data === 'string') return data;
  const pieces: string[] = [];
  for await (const piece of data) {
    if (piece.length > limit) throw new Error(`a piece of ${piece.length} characters, over ${limit}`);
    pieces.push(piece);
  }
  return pieces.join('');
}

const at = '2026-11-20T09:30:00.000Z';

export const sampleManifest: ExportManifest = {
  exportedBy: 'Alice <Smith> & Co',
  appVersion: '0.1.0',
  sourceUrl: 'https://eln.example.org',
  archiveId: '0b6c1a52-4f0e-4c55-9d1e-2f8a0c3b7e11',
  exportDate: '2026-11-26',
  exportedAt: '2026-11-26T09:30:00.000Z',
  scope: 'GROUP',
  counts: { documents: 9, folders: 5, files: 2, skipped: 3 },
  includeRevisionHistory: false,
  maxLinkLevel: 0,
  modifiedSince: '2026-10-01T00:00:00.000Z',
};

function folder(id: number, name: string, kind: ExportFolder['kind'], parentId: number | null, treeType: string = kind): ExportFolder {
  return { id, name, kind, treeType, parentId, ownerUsername: id % 2 ? 'alice' : 'bob "b" <x>', created: at, modified: `2026-11-2${id % 10}T10:00:00.000Z`, pagePath: folderPageName(name, id) };
}

function document(id: number, name: string, parentId: number | null): PlacedDocument {
  return { id, name, folder: documentFolder(name, id), modified: `2026-11-${10 + (id % 20)}T08:15:00.000Z`, parentId };
}

function file(id: number, name: string, fileName: string, parentFolderId: number | null): ExportFile {
  return {
    id, fileName, name, caption: '', contentType: 'image/png', extension: 'png', size: 1024, sha256: 'cd'.repeat(32), version: 1,
    created: at, modified: at, ownerUsername: 'alice', parentFolderId, folder: mediaFolder(name, id),
  };
}

/**
 * An archive whose listing pages cover every case the renderers have: a home folder holding a
 * folder and a notebook, an empty folder and an empty notebook, documents at the top and in each,
 * files at the top and in a folder, names to escape, accents, numbers and names filed under '#'.
 */
export const sampleArchive: Required<ContentsArrays> = {
  manifest: sampleManifest,
  users: [
    { id: 1, username: 'alice', email: 'alice@example.org', firstName: 'Alice', lastName: 'S<mith>', role: 'ROLE_PI', affiliation: 'Lab & Co' },
    { id: 2, username: 'bob', email: 'bob@example.org', firstName: 'Bob', lastName: 'Jones', role: 'ROLE_USER', affiliation: null },
  ],
  folders: [
    folder(1, 'alice', 'FOLDER', null, 'FOLDER:ROOT'),
    folder(4, 'Project <b>"A"</b> & co', 'FOLDER', 1),
    folder(6, 'Lab book', 'NOTEBOOK', 1),
    folder(7, 'Empty folder', 'FOLDER', 4),
    folder(9, 'Élan notebook', 'NOTEBOOK', null),
  ],
  documents: [
    document(20, 'Day 10', 6),
    document(21, 'Day 2', 6),
    document(22, 'day 1 <script>', 6),
    document(23, 'Résumé', 4),
    document(24, 'resume', 4),
    document(25, '#42 results', null),
    document(26, '', null),
    document(27, 'Zeta', 8),
    document(28, 'alpha', null),
  ],
  files: [file(40, 'Gel <b>image</b>', 'gel.png', null), file(41, 'Alpha scan', 'scan 1.png', 4)],
};
