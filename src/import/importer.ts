import type { Kysely, Transaction } from 'kysely';
import type { BlobStore, StoredBlob } from '../blobs/blobStore.js';
import { contentLimits } from '../domain/contentLimits.js';
import {
  escapeHtml,
  renderPlaceholders,
  renumberImported,
  sanitiserVersion,
  type PreparedContent,
  type ReferencedDocument,
  type ReferencedFile,
} from '../domain/fieldContent.js';
import type { ImportResult } from '../domain/exportJob.js';
import type { Form, Provenance } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { isoNow } from '../domain/time.js';
import { importFolder } from '../content/folders.js';
import { safeFileName, safeContentType } from '../content/files.js';
import { normaliseTags } from '../content/documents.js';
import type { DB } from '../store/schema.js';
import { insertComment } from '../store/queries/comments.js';
import { insertDocumentVersion, insertField, replaceFieldReferences } from '../store/queries/fields.js';
import { findFormByName, insertForm } from '../store/queries/forms.js';
import { insertMedia, ownFilesBySha256 } from '../store/queries/media.js';
import { insertRecord } from '../store/queries/records.js';
import { runTask } from '../threads/pool.js';
import { StagedBlobs } from './stagedBlobs.js';
import { Slices } from '../threads/slices.js';
import {
  markedKeys,
  replaceMarkers,
  type ArchiveSource,
  type SourceArchive,
  type SourceContainer,
  type SourceDocument,
  type SourceField,
  type SourceFile,
  type SourceItem,
} from './source.js';

export interface ImportTarget {
  /** The new folder's name: the archive's, without its extension. */
  name: string;
  /** Import into this folder of the importer's instead of a new one. */
  intoFolderId: number | null;
  format: SourceArchive['format'];
  jobId: number;
}

export interface ImportHooks {
  signal: AbortSignal;
  /** Progress as a fraction of the work, 0 to 1. */
  onProgress(fraction: number): void;
  /**
   * Called just before the records' transaction opens. On SQLite that transaction holds the one
   * connection: whatever writes through another (the job's heartbeat) must be stopped and settled
   * first, or it waits for the transaction while the transaction waits for it.
   */
  beforeWrite(): Promise<void>;
  /** Called inside the transaction now and then: the job's heartbeat, through `trx`; a throw rolls every record back. */
  beat(trx: Transaction<DB>): Promise<void>;
  /**
   * Called inside the transaction that writes the records, last: the job is completed there, so
   * that records and job are written together; a throw rolls every record back.
   */
  commit(trx: Transaction<DB>, result: ImportResult): Promise<void>;
}

/** A file of the archive as it will be recorded: newly stored, or one of the importer's own with the same bytes. */
interface PlacedFile {
  source: SourceFile;
  /** Stand-in number in prepared content until the record's id is known. */
  number: number;
  stored?: StoredBlob;
  /** Set for a reused file, and for a new one once its record is written. */
  id?: number;
  contentType: string;
}

interface PreparedDocument {
  doc: SourceDocument;
  number: number;
  form: Pick<Form, 'name' | 'fields'>;
  fields: PreparedContent[];
  revisions: { version: number; name: string; modified?: string; fields: PreparedContent[] }[];
}

const sha256Pattern = /^[0-9a-f]{64}$/i;

/** A field the source has no content for (its form has more fields than the source gave). */
const noContent: PreparedContent = { html: '', references: { fileIds: [], documentIds: [] } };

/** A comment is a remark, not a field: a longer one is cut, with a warning. */
const maxCommentLength = 100_000;

function* walk(items: SourceItem[]): Generator<SourceItem> {
  for (const item of items) {
    yield item;
    if (item.kind !== 'DOCUMENT') yield* walk(item.children);
  }
}

/** Tags as the content rules keep them: a comma inside a tag would split it, and the list is cut at the limit. */
function tagText(tags: string[], what: string, warnings: string[]): string {
  const joined = tags.map((t) => t.replace(/,/g, ' ')).join(',');
  try {
    return normaliseTags(joined) ?? '';
  } catch {
    warnings.push(`${what}: its tags are more than 8000 characters; cut`);
    return normaliseTags(joined.slice(0, 8000).replace(/,[^,]*$/, '')) ?? '';
  }
}

/** Names as the content rules allow them: a name too long for a record is cut, with a warning. */
function recordName(name: string, fallback: string, what: string, warnings: string[]): string {
  const trimmed = name.trim() || fallback;
  if (trimmed.length <= 255) return trimmed;
  warnings.push(`${what}: its name is ${trimmed.length} characters; cut to 255`);
  return trimmed.slice(0, 255);
}

/**
 * Writes what a reader found in an archive into the importer's space: files first (streamed to the
 * blob store, checked against what the archive declares, and reused where the importer already
 * has the same bytes), then, in one transaction, a folder for the import, the folders and
 * notebooks in the archive's order (so a notebook's entries keep it), the documents with their
 * forms, fields and kept versions, and the gallery records. References between the archive's
 * items become this server's ids; the authors become each document's provenance. On any
 * failure, or a cancel, nothing is written and the new blobs are removed.
 */
export async function importArchive(
  db: Kysely<DB>,
  blobs: BlobStore,
  viewer: Viewer,
  source: ArchiveSource,
  archive: SourceArchive,
  target: ImportTarget,
  hooks: ImportHooks,
): Promise<ImportResult> {
  const warnings = [...archive.warnings];
  // Asked before any file is stored, and again in the transaction: it may be deleted meanwhile.
  if (target.intoFolderId !== null) await importFolder(db, viewer, target.intoFolderId);
  const items = [...walk(archive.items)];
  const documents = items.filter((i): i is SourceDocument => i.kind === 'DOCUMENT');
  const staged = new StagedBlobs(db, blobs, target.jobId);
  try {
    const files = await storeFiles(db, staged, viewer, source, [...documents.flatMap((d) => d.files), ...archive.galleryFiles], warnings, hooks);
    const prepared = await prepareDocuments(documents, files, warnings);
    hooks.signal.throwIfAborted();
    await hooks.beforeWrite();
    return await db.transaction().execute(async (trx) => {
      const result = await writeRecords(trx, viewer, archive, target, items, files, prepared, warnings, () => hooks.beat(trx));
      await staged.adopt(trx);
      hooks.signal.throwIfAborted();
      await hooks.commit(trx, result);
      return result;
    });
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

/** Stores each file the archive holds once, by key; the same bytes twice, or bytes the importer has, become one file. */
async function storeFiles(
  db: Kysely<DB>,
  staged: StagedBlobs,
  viewer: Viewer,
  source: ArchiveSource,
  wanted: SourceFile[],
  warnings: string[],
  hooks: ImportHooks,
): Promise<Map<string, PlacedFile>> {
  const sizes = new Map(source.entries.map((e) => [e.path, e.size]));
  const unique = [...new Map(wanted.map((f) => [f.key, f])).values()];
  const total = unique.reduce((sum, f) => sum + (sizes.get(f.path) ?? 0), 0) || 1;
  const byKey = new Map<string, PlacedFile>();
  const bySha = new Map<string, PlacedFile>();
  let done = 0;
  for (const file of unique) {
    hooks.signal.throwIfAborted();
    if (!sizes.has(file.path)) {
      warnings.push(`File "${file.name}" (${file.path}) is listed but not in the archive; left out`);
      continue;
    }
    const blob = await staged.put(await source.open(file.path));
    done += blob.size;
    // Files take most of an import's time; the records' transaction is the last few percent.
    hooks.onProgress(0.9 * (done / total));
    if (file.sha256 !== undefined && sha256Pattern.test(file.sha256) && file.sha256.toLowerCase() !== blob.sha256) {
      warnings.push(`File "${file.name}" (${file.path}): the archive gives its sha256 as ${file.sha256}, but its bytes' sha256 is ${blob.sha256}; imported as its bytes are`);
    }
    if (file.size !== undefined && file.size !== blob.size) {
      warnings.push(`File "${file.name}" (${file.path}): the archive gives its size as ${file.size} bytes, but it holds ${blob.size}; imported as its bytes are`);
    }
    const same = bySha.get(blob.sha256);
    if (same) {
      await staged.drop(blob.key);
      byKey.set(file.key, same);
      // Documents that showed it under its own name now show the one file's.
      if (same.source.name !== file.name) warnings.push(`File "${file.name}" (${file.path}) holds the same bytes as "${same.source.name}"; stored once, under that name`);
      continue;
    }
    const placed: PlacedFile = { source: file, number: bySha.size + 1, stored: blob, contentType: safeContentType(file.contentType) };
    bySha.set(blob.sha256, placed);
    byKey.set(file.key, placed);
  }
  // The importer's own copy of the same bytes is the file: an archive imported twice adds no bytes.
  for (const [sha256, own] of await ownFilesBySha256(db, viewer.user.id, [...bySha.keys()])) {
    const placed = bySha.get(sha256)!;
    await staged.drop(placed.stored!.key);
    placed.stored = undefined;
    placed.id = own.id;
    placed.contentType = own.contentType;
    if (own.fileName !== placed.source.name) warnings.push(`File "${placed.source.name}" (${placed.source.path}) holds the same bytes as your gallery file "${own.fileName}" (GL${own.id}); that file is shown instead`);
  }
  return byKey;
}

/**
 * A field's content with the archive's references as placeholders of stand-in numbers, and the
 * document's files and links that no field shows added at the end of its last field, sanitised
 * off the event loop as content saved through the API is.
 */
async function prepareDocuments(documents: SourceDocument[], files: Map<string, PlacedFile>, warnings: string[]): Promise<PreparedDocument[]> {
  const numbers = new Map(documents.map((d, i) => [d.key, i + 1]));
  // The archive's own `<fileId=N>` text would be read as a reference to this import's Nth file: it stays text.
  const placeholders = (content: string) =>
    replaceMarkers(content.replace(/<(fileId|docId)=/gi, '&lt;$1='), (kind, key) => {
      if (kind === 'doc') return numbers.has(key) ? `<docId=${numbers.get(key)}>` : escapeHtml(key);
      const file = files.get(key);
      return file ? `<fileId=${file.number}>` : '';
    });
  /** `extra`: placeholders of the document's files and links that no field shows, added after the field's own content. */
  const prepare = async (field: SourceField, what: string, extra: string[] = []): Promise<PreparedContent> => {
    const bytes = Buffer.byteLength(field.content, 'utf8');
    const added = extra.length ? `\n${extra.join('\n')}` : '';
    if (bytes > contentLimits.fieldBytes) {
      warnings.push(`${what} holds ${bytes} bytes, more than the ${contentLimits.fieldBytes} a field may hold; its content was left out`);
      return (await runTask('prepareField', added, added.length)) as PreparedContent;
    }
    const result = await runTask('prepareField', placeholders(field.content) + added, field.content.length);
    if (result !== 'too deep') return result;
    warnings.push(`${what} nests its HTML more than ${contentLimits.nestingDepth} deep; kept as text`);
    return (await runTask('prepareField', `<pre>${escapeHtml(field.content)}</pre>${added}`, field.content.length)) as PreparedContent;
  };
  const out: PreparedDocument[] = [];
  // Small fields are cleaned inline, not on a thread: thousands of them held the loop for seconds.
  const slices = new Slices();
  for (const doc of documents) {
    await slices.pause();
    const fields: SourceField[] = doc.fields.length ? doc.fields : [{ name: 'Data', type: 'TEXT', content: '' }];
    const shown = new Set(fields.flatMap((f) => markedKeys(f.content, 'file')));
    const linked = new Set(fields.flatMap((f) => markedKeys(f.content, 'doc')));
    const extra = [
      ...doc.files.filter((f) => !shown.has(f.key) && files.has(f.key)).map((f) => `<p><fileId=${files.get(f.key)!.number}></p>`),
      ...doc.mentions.filter((key) => !linked.has(key) && numbers.has(key)).map((key) => `<p><docId=${numbers.get(key)}></p>`),
    ];
    const preparedFields: PreparedContent[] = [];
    for (const [i, field] of fields.entries()) {
      preparedFields.push(await prepare(field, `Field "${field.name}" of "${doc.name}" (${doc.sourceId})`, i === fields.length - 1 ? extra : []));
    }
    const revisions = [];
    for (const revision of doc.revisions) {
      const kept: PreparedContent[] = [];
      for (const field of revision.fields) kept.push(await prepare(field, `Version ${revision.version} of "${doc.name}" (${doc.sourceId})`));
      revisions.push({ version: revision.version, name: revision.name, ...(revision.modified ? { modified: revision.modified } : {}), fields: kept });
    }
    const form = doc.form ?? { name: fields.length === 1 ? 'Basic Document' : `Imported: ${fields.map((f) => f.name).join(', ')}`.slice(0, 255), fields: fields.map((f) => ({ name: f.name, type: f.type })) };
    out.push({ doc, number: numbers.get(doc.key)!, form, fields: preparedFields, revisions });
  }
  return out;
}

/** A form of this server with the same name and fields, or a new one (renamed when the name is taken by another form). */
async function formId(trx: Transaction<DB>, wanted: Pick<Form, 'name' | 'fields'>, made: Map<string, number>, now: string): Promise<number> {
  const signature = JSON.stringify([wanted.name, wanted.fields.map((f) => f.name)]);
  const known = made.get(signature);
  if (known !== undefined) return known;
  const existing = await findFormByName(trx, wanted.name);
  const sameFields = (form: Form) => form.fields.length === wanted.fields.length && form.fields.every((f, i) => f.name === wanted.fields[i]!.name);
  let id: number;
  if (existing && (sameFields(existing) || wanted.name === 'Basic Document')) id = existing.id;
  else {
    const renamed = existing ? await findFormByName(trx, `${wanted.name} (imported)`) : undefined;
    id = renamed && sameFields(renamed) ? renamed.id : await insertForm(trx, { name: existing ? `${wanted.name} (imported)` : wanted.name, fields: wanted.fields }, now);
  }
  made.set(signature, id);
  return id;
}

async function writeRecords(
  trx: Transaction<DB>,
  viewer: Viewer,
  archive: SourceArchive,
  target: ImportTarget,
  items: SourceItem[],
  files: Map<string, PlacedFile>,
  prepared: PreparedDocument[],
  warnings: string[],
  beat: () => Promise<void>,
): Promise<ImportResult> {
  const now = isoNow();
  const owner = viewer.user.id;
  const ids: Record<string, number> = {};
  const counts = { folders: 0, notebooks: 0, documents: 0, revisions: 0, comments: 0, files: 0, filesReused: 0 };
  const folderId =
    target.intoFolderId !== null
      ? (await importFolder(trx, viewer, target.intoFolderId)).id
      : await insertRecord(trx, {
      kind: 'FOLDER', name: recordName(target.name, 'Import', 'The import folder', warnings), owner_id: owner,
        parent_id: viewer.user.homeFolderId, created: now, modified: now, form_id: null, deleted_at: null,
      });

  // Gallery records first: each document's fields name them.
  const placed = new Set<PlacedFile>();
  for (const [key, file] of files) {
    if (!placed.has(file)) {
      placed.add(file);
      if (file.stored) {
        const name = safeFileName(file.source.name);
        file.id = await insertRecord(trx, {
          kind: 'MEDIA', name, owner_id: owner, parent_id: viewer.user.galleryFolderId,
          created: file.source.created ?? now, modified: file.source.created ?? now, form_id: null, deleted_at: null,
        });
        await insertMedia(trx, file.id, { fileName: name, caption: file.source.caption.slice(0, 2000), contentType: file.contentType, size: file.stored.size, sha256: file.stored.sha256, blobKey: file.stored.key });
        counts.files++;
      } else counts.filesReused++;
    }
    ids[key] = file.id!;
  }

  // Records in the archive's order: ids ascend as a notebook's entries go.
  const parentOf = new Map<SourceItem, number>();
  for (const item of archive.items) parentOf.set(item, folderId);
  const byDocument = new Map(prepared.map((p) => [p.doc, p]));
  const forms = new Map<string, number>();
  // On SQLite every statement runs within the turn: 5,000 documents' records and fields held the
  // loop 1.3 s. Between slices the loop turns; other requests' queries still wait for the transaction.
  const slices = new Slices();
  for (const item of items) {
    await slices.pause();
    await beat();
    const parent = parentOf.get(item)!;
    const what = `${item.kind === 'DOCUMENT' ? 'Document' : item.kind === 'NOTEBOOK' ? 'Notebook' : 'Folder'} ${item.key}`;
    const name = recordName(item.name, item.kind === 'DOCUMENT' ? 'Untitled document' : 'Untitled folder', what, warnings);
    const created = item.created ?? item.modified ?? now;
    const modified = item.modified ?? created;
    if (item.kind !== 'DOCUMENT') {
      ids[item.key] = await insertRecord(trx, { kind: item.kind, name, owner_id: owner, parent_id: parent, created, modified, form_id: null, deleted_at: null });
      for (const child of (item as SourceContainer).children) parentOf.set(child, ids[item.key]!);
      if (item.kind === 'NOTEBOOK') counts.notebooks++;
      else counts.folders++;
      continue;
    }
    const doc = byDocument.get(item)!;
    const provenance: Provenance = {
      archive: target.name,
      format: target.format,
      sourceId: item.sourceId,
      authors: item.authors.map((a) => ({ name: a.name, ...(a.email ? { email: a.email } : {}), ...(a.identifier ? { identifier: a.identifier } : {}) })),
      importJobId: target.jobId,
    };
    ids[item.key] = await insertRecord(trx, {
      kind: 'DOCUMENT', name, owner_id: owner, parent_id: parent, created, modified,
      version: doc.revisions.length + 1, tags: tagText(item.tags, what, warnings), form_id: await formId(trx, doc.form, forms, now),
      deleted_at: null, provenance_json: JSON.stringify(provenance),
    });
    counts.documents++;
  }

  // Then the fields, now that every reference has an id.
  const fileNumbers = new Map([...placed].map((f) => [f.number, f.id!]));
  const documentNumbers = new Map(prepared.map((p) => [p.number, ids[p.doc.key]!]));
  const referencedFiles = new Map<number, ReferencedFile>([...placed].map((f) => [f.id!, { id: f.id!, name: f.source.name, contentType: f.contentType }]));
  const referencedDocuments = new Map<number, ReferencedDocument>(prepared.map((p) => [ids[p.doc.key]!, { id: ids[p.doc.key]!, name: p.doc.name }]));
  const render = (content: PreparedContent) => {
    const own = renumberImported(content, fileNumbers, documentNumbers);
    return { html: renderPlaceholders(own.html, referencedFiles, referencedDocuments), references: own.references };
  };
  for (const doc of prepared) {
    await slices.pause();
    await beat();
    const documentId = ids[doc.doc.key]!;
    const modified = doc.doc.modified ?? doc.doc.created ?? now;
    const fieldIds: number[] = [];
    for (const [columnIndex, definition] of doc.form.fields.entries()) {
      const { html, references } = render(doc.fields[columnIndex] ?? noContent);
      const text = await runTask('plainText', html, html.length);
      const fieldId = await insertField(trx, { documentId, name: definition.name, type: definition.type, columnIndex, content: html, modified }, text);
      await replaceFieldReferences(trx, fieldId, references.fileIds, references.documentIds);
      fieldIds.push(fieldId);
    }
    for (const [n, revision] of doc.revisions.entries()) {
      await insertDocumentVersion(trx, {
        documentId,
        version: n + 1,
        name: revision.name,
        tags: '',
        modified: revision.modified ?? modified,
        fields: doc.form.fields.map((definition, columnIndex) => ({
          id: fieldIds[columnIndex]!, name: definition.name, type: definition.type, columnIndex,
          content: render(revision.fields[columnIndex] ?? noContent).html,
          sanitiserVersion, modified: revision.modified ?? modified,
        })),
      });
      counts.revisions++;
    }
    // RSpace keeps comments per field; a source that keeps them per document puts them on its first.
    for (const comment of doc.doc.comments) {
      const text = comment.text.length > maxCommentLength ? `${comment.text.slice(0, maxCommentLength)}…` : comment.text;
      if (text !== comment.text) warnings.push(`A comment on "${doc.doc.name}" (${doc.doc.sourceId}) is ${comment.text.length} characters; cut to ${maxCommentLength}`);
      await insertComment(trx, { documentId, fieldId: fieldIds[0]!, author: comment.author?.trim() || 'Unknown', text, created: comment.created ?? modified });
      counts.comments++;
    }
  }
  return { format: archive.format, folderId, counts, ids, warnings };
}
