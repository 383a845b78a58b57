/**
 * Documents as the archive's entries, rendered and deflated: the tasks an export runs on its
 * threads (threads/pool.ts), or inline for a sequential build. A thread loads this module only
 * for them, so it holds the renderers and a database connection but not the field sanitiser.
 */
import type { Kysely } from 'kysely';
import { Piscina, transferableSymbol, valueSymbol } from 'piscina';
import { folderPage } from '../domain/archiveNames.js';
import type { ExportDocument, ExportFormat, ExportManifest } from '../domain/exportModel.js';
import type { MediaFile } from '../domain/model.js';
import { openSqliteReader } from '../store/db.js';
import type { DB } from '../store/schema.js';
import type { ExportPlan } from './archiveContents.js';
import { documentEntries, type DocumentToRender } from './documentEntries.js';
import { documentEntities } from './eln/crateEntities.js';
import { DocumentLoader } from './load.js';
import { PlanReader } from './planReader.js';
import { prepareEntry, type PreparedEntry } from './zip/prepared.js';

/** A document with what its page needs to know of the archive around it. */
export function toRender(document: ExportDocument): DocumentToRender {
  const { parent } = document;
  return { doc: document, parentPagePath: parent?.inArchive ? folderPage(parent.name, parent.id) : undefined };
}

/**
 * A batch of documents as the archive's entries, rendered and deflated, in order: what an export
 * spends most of its time on, so it runs on a thread while the main thread writes the batch
 * before it. Called inline too, for a sequential build; the entries are the same either way.
 */
export function renderDocuments({ format, items, manifest }: { format: ExportFormat; items: DocumentToRender[]; manifest: ExportManifest }): RenderedBatch {
  const each = items.map((item) => prepared(format, item, manifest));
  const { packed, buffer } = packTogether(each.flatMap((r) => r.entries));
  return handedOver({ entries: packed, crates: each.map((r) => r.crate) }, buffer);
}

/** A batch's entries in the batch's order, and each document's RO-Crate entities ('' unless `.eln`). */
export interface RenderedBatch {
  entries: PreparedEntry[];
  crates: string[];
}

/** A document's entries, and for a `.eln` archive its entities, which name each page's size and sha256. */
function prepared(format: ExportFormat, item: DocumentToRender, manifest: ExportManifest): { entries: PreparedEntry[]; crate: string } {
  const eln = format === 'eln';
  const entries = documentEntries(format, item, manifest).map(({ path, data }) => prepareEntry(path, data, true, eln));
  if (!eln) return { entries, crate: '' };
  const pages = entries.map(({ path, size, sha256 }) => ({ path, size, sha256: sha256! }));
  return { entries, crate: documentEntities(item.doc, pages, manifest).map((entity) => JSON.stringify(entity)).join(',\n') };
}

/** Handed over, not copied, from a thread: the whole batch's bytes are one buffer, so one transfer moves them all. */
function handedOver<T extends object>(value: T, buffer: ArrayBuffer): T {
  if (!Piscina.isWorkerThread) return value;
  return Piscina.move({ [transferableSymbol]: [buffer], [valueSymbol]: value }) as unknown as T;
}

/** One document of a batch as the archive holds it: its pages ready for the zip, then the files copied beside them. */
export interface RenderedDocument {
  id: number;
  /** False for a kept version, which progress does not count as a document. */
  current: boolean;
  entries: PreparedEntry[];
  /** Its RO-Crate entities in a `.eln` archive (JSON objects joined by commas), else ''. */
  crate: string;
  /** Blobs to write after the pages, in this order: path in the archive, and the file. */
  copies: { path: string; file: MediaFile }[];
}

/** A page of the plan's documents to load and render, and what loading and rendering them needs. */
export interface LoadAndRender {
  plan: ExportPlan;
  manifest: ExportManifest;
  format: ExportFormat;
  withRevisions: boolean;
  /** In the plan's order. */
  ids: number[];
}

/**
 * A page of documents read from `db` (each followed by its kept versions if asked), rendered and
 * deflated, in order. On the embedded database a read holds the thread that makes it, so an
 * export runs this on a thread (loadAndRenderDocuments); a sequential build runs it inline.
 */
export async function loadAndRender(db: Kysely<DB>, { plan, manifest, format, withRevisions, ids }: LoadAndRender): Promise<RenderedDocument[]> {
  const loader = new DocumentLoader(db, new PlanReader(db, plan, manifest), format, manifest.sourceUrl, withRevisions);
  const documents: (Omit<RenderedDocument, 'entries'> & { count: number })[] = [];
  const entries: PreparedEntry[] = [];
  for await (const { document, copies } of loader.load(ids)) {
    const own = prepared(format, toRender(document), manifest);
    entries.push(...own.entries);
    documents.push({ id: document.id, current: document.revisionOf === null, count: own.entries.length, crate: own.crate, copies });
  }
  const { packed, buffer } = packTogether(entries);
  let at = 0;
  const rendered = documents.map(({ count, ...document }) => ({ ...document, entries: packed.slice(at, (at += count)) }));
  return handedOver(rendered, buffer);
}

/** This thread's read-only connection, kept from task to task while they read the same file. */
let reader: { file: string; db: Kysely<DB> } | undefined;

/** loadAndRender on a connection of this thread's own to the embedded database's `file`. */
export async function loadAndRenderDocuments({ file, ...page }: LoadAndRender & { file: string }): Promise<RenderedDocument[]> {
  if (reader?.file !== file) {
    // Another server's database (tests start many): the old file's connection is of no more use.
    await reader?.db.destroy();
    reader = { file, db: openSqliteReader(file) };
  }
  return loadAndRender(reader.db, page);
}

/**
 * The entries with their bytes copied, end to end, into one buffer of exactly their size: one
 * transfer moves a whole batch, and a small deflated page may sit in the pool Node shares among
 * Buffers, which must not be transferred.
 */
function packTogether(entries: PreparedEntry[]): { packed: PreparedEntry[]; buffer: ArrayBuffer } {
  const buffer = new ArrayBuffer(entries.reduce((sum, entry) => sum + entry.data.length, 0));
  let offset = 0;
  const packed = entries.map((entry) => {
    const data = new Uint8Array(buffer, offset, entry.data.length);
    data.set(entry.data);
    offset += data.length;
    return { ...entry, data };
  });
  return { packed, buffer };
}
