import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { documentFolder, entryFileName, mediaFolder, pathHref } from '../domain/archiveNames.js';
import { linkedPageExtension, type ExportComment, type ExportDocument, type ExportField, type ExportFieldFile, type ExportFieldLink, type ExportFile, type ExportFormat } from '../domain/exportModel.js';
import type { Field, Form, MediaFile, RecordRow, User } from '../domain/model.js';
import { contentLengths, fieldsOfDocuments, keptVersionFields, keptVersions } from '../store/queries/fields.js';
import { findForm } from '../store/queries/forms.js';
import { findMediaFiles } from '../store/queries/media.js';
import { commentsOfDocuments } from '../store/queries/comments.js';
import { findRecords } from '../store/queries/records.js';
import { findUsersByIds } from '../store/queries/users.js';
import { fieldReferences } from '../store/queries/exportPlan.js';
import type { PlanLookup, PlannedRecord } from './archiveContents.js';

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(dot + 1).toLowerCase() : '';
}

export function exportFile(record: RecordRow, file: MediaFile, owner: string, ownFolder: boolean): ExportFile {
  const fileName = entryFileName(file.fileName);
  return {
    id: record.id,
    fileName,
    name: record.name,
    caption: file.caption,
    contentType: file.contentType,
    extension: extensionOf(fileName),
    size: file.size,
    sha256: file.sha256,
    version: record.version,
    created: record.created,
    modified: record.modified,
    ownerUsername: owner,
    parentFolderId: record.parentId,
    folder: ownFolder ? mediaFolder(record.name, record.id) : null,
  };
}

/** A name as Windows and macOS file systems compare names: `_CON` and `_con` would extract to one file. */
export function foldName(name: string): string {
  return name.normalize('NFC').toLowerCase();
}

/** The names a document's folder holds before any file is copied into it: its pages. */
export function pageNames(folder: string, format: ExportFormat): string[] {
  const pages = format === 'eln' ? [`${folder}.html`, `${folder}.xml`] : [`${folder}.${format}`];
  return [...pages, `${folder}_form.xml`];
}

/**
 * Where a file shown by the document in `folder` is found, and the link to it from that folder:
 * its own media_ folder, or a copy beside the document under its own name, or `<id>-<name>` when
 * `taken` (folded names already in the folder) holds that name.
 */
export function placeFile(file: ExportFile, folder: string, taken: ReadonlySet<string>): ExportFieldFile {
  if (file.folder) return { file, path: `${file.folder}/${file.fileName}`, href: `../${pathHref(`${file.folder}/${file.fileName}`)}` };
  const name = taken.has(foldName(file.fileName)) ? `${file.id}-${file.fileName}` : file.fileName;
  return { file, path: `${folder}/${name}`, href: pathHref(name) };
}

/**
 * A field's link to a document: relative to the target's page when it is live and a document of
 * the archive (`target`, the plan's record of it), else to the record on the source server.
 */
export function documentLink(
  link: { targetId: number; name: string; live: boolean },
  target: PlannedRecord | undefined,
  format: ExportFormat,
  sourceUrl: string,
): ExportFieldLink {
  const { targetId: id } = link;
  if (link.live && target?.kind === 'DOCUMENT') {
    const folder = documentFolder(target.name, id);
    return { id, name: link.name, href: `../${folder}/${folder}.${linkedPageExtension(format)}`, inArchive: true };
  }
  return { id, name: link.name, href: `${sourceUrl}/globalId/SD${id}`, inArchive: false };
}

/** What one field references, in the order it lists them. */
export interface FieldReferences {
  fileIds: number[];
  links: { targetId: number; name: string; live: boolean }[];
}

function idsIn(html: string, attribute: string): number[] {
  return [...new Set([...html.matchAll(new RegExp(`${attribute}="(\\d+)"`, 'g'))].map((m) => Number(m[1])))];
}

/** What a kept version's field references, read from its HTML: the reference tables hold the current version's only. */
export function idsInHtml(html: string): { fileIds: number[]; documentIds: number[] } {
  return { fileIds: idsIn(html, 'data-file-id'), documentIds: idsIn(html, 'data-doc-id') };
}

/**
 * A kept version's references. A target is named as the plan names it, and taken for live: the
 * plan has only live records, and one it lacks is linked on the source server whatever its state.
 */
export function keptReferences(ids: { fileIds: number[]; documentIds: number[] }, planned: ReadonlyMap<number, PlannedRecord>): FieldReferences {
  return {
    fileIds: ids.fileIds,
    links: ids.documentIds.map((targetId) => ({ targetId, name: planned.get(targetId)?.name ?? `SD${targetId}`, live: true })),
  };
}

/** The ids of records some references need the plan's word on. */
export function referencedIds(references: Iterable<FieldReferences>): number[] {
  const ids = new Set<number>();
  for (const r of references) {
    for (const id of r.fileIds) ids.add(id);
    for (const l of r.links) ids.add(l.targetId);
  }
  return [...ids];
}

/**
 * A field as the renderers see it. `keptBeside` is the current version's folder when the field is
 * a kept version's: that version has a folder of its own, so a copy beside the current version is
 * one level up. Files the archive does not hold (`place` gives nothing) are left out.
 */
export function exportField(
  field: Omit<Field, 'documentId'>,
  references: FieldReferences,
  place: (fileId: number) => ExportFieldFile | undefined,
  link: (reference: FieldReferences['links'][number]) => ExportFieldLink,
  keptBeside: string | null,
  comments: ExportComment[],
): ExportField {
  return {
    id: field.id,
    name: field.name,
    type: field.type,
    columnIndex: field.columnIndex,
    modified: field.modified,
    content: field.content,
    sanitiserVersion: field.sanitiserVersion,
    files: references.fileIds.flatMap((id) => {
      const placed = place(id);
      if (!placed) return [];
      return [keptBeside !== null && !placed.file.folder ? { ...placed, href: `../${keptBeside}/${placed.href}` } : placed];
    }),
    links: references.links.map(link),
    comments,
  };
}

/** The folder or notebook holding a document, as its page names it. */
export function documentParent(parentId: number | null, planned: PlannedRecord | undefined): ExportDocument['parent'] {
  if (parentId === null) return null;
  const inArchive = planned?.kind === 'FOLDER' || planned?.kind === 'NOTEBOOK';
  return { id: parentId, name: planned?.name ?? '', treeType: planned?.kind === 'NOTEBOOK' ? 'NOTEBOOK' : 'FOLDER', inArchive };
}

/** A file the archive holds, as documents show it, with the blob its bytes come from. */
export interface ArchivedFile {
  file: ExportFile;
  blob: MediaFile;
}

/**
 * The files one document's folder holds besides its pages. Its kept versions share the current
 * version's copies: a kept version may show a file its current version does not, copied into the
 * current version's folder all the same.
 */
export class DocumentFiles {
  private readonly taken: Set<string>;
  private readonly placed = new Map<number, ExportFieldFile>();
  private copies: { path: string; file: MediaFile }[] = [];

  constructor(
    readonly folder: string,
    format: ExportFormat,
    private readonly find: (fileId: number) => ArchivedFile | undefined,
  ) {
    this.taken = new Set(pageNames(folder, format).map(foldName));
  }

  place(fileId: number): ExportFieldFile | undefined {
    const known = this.placed.get(fileId);
    if (known) return known;
    const found = this.find(fileId);
    if (!found) return undefined;
    const placed = placeFile(found.file, this.folder, this.taken);
    if (!found.file.folder) {
      this.taken.add(foldName(placed.path.slice(this.folder.length + 1)));
      this.copies.push({ path: placed.path, file: found.blob });
    }
    this.placed.set(fileId, placed);
    return placed;
  }

  /** The copies placed since the last call. */
  takeCopies(): { path: string; file: MediaFile }[] {
    const taken = this.copies;
    this.copies = [];
    return taken;
  }
}

/** A document ready to render, and the bytes its folder holds besides its page. */
export interface LoadedDocument {
  document: ExportDocument;
  /** Copies of files that have no folder of their own in this archive: path in the archive, and the blob. */
  copies: { path: string; file: MediaFile }[];
}

/**
 * What one batch of documents needs of the plan and of the gallery: the plan is asked once for
 * all the ids the batch's current versions reference, and again only for a kept version's new ones.
 */
class BatchReferences {
  readonly planned = new Map<number, PlannedRecord>();
  private readonly asked = new Set<number>();
  private readonly files = new Map<number, ArchivedFile>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly plan: PlanLookup,
    private readonly owners: (ids: number[]) => Promise<Map<number, User>>,
  ) {}

  async learn(ids: number[]): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !this.asked.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.asked.add(id);
    const found = await this.plan.lookup(fresh);
    for (const [id, record] of found) this.planned.set(id, record);
    const media = await findMediaFiles(this.db, fresh.filter((id) => found.get(id)?.kind === 'MEDIA'));
    const owners = await this.owners(media.map((m) => m.record.ownerId));
    for (const { record, file } of media) {
      const exported = exportFile(record, file, owners.get(record.ownerId)?.username ?? '', found.get(record.id)!.ownFolder);
      this.files.set(record.id, { file: exported, blob: file });
    }
  }

  file(id: number): ArchivedFile | undefined {
    return this.files.get(id);
  }
}

/** Loads the full content of one page of the plan's documents, and their kept versions if asked. */
export class DocumentLoader {
  private readonly forms = new Map<number, Form | undefined>();
  private readonly users = new Map<number, User>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly plan: PlanLookup,
    private readonly format: ExportFormat,
    private readonly sourceUrl: string,
    private readonly withRevisions: boolean,
  ) {}

  private async form(id: number | null): Promise<Form> {
    const key = id ?? 0;
    if (!this.forms.has(key)) this.forms.set(key, await findForm(this.db, key));
    return this.forms.get(key) ?? { id: key, name: 'Unknown form', fields: [] };
  }

  /** The users of the given ids, among others already read: a lab has few, and each is read once. */
  async owners(ids: number[]): Promise<Map<number, User>> {
    const missing = [...new Set(ids)].filter((id) => !this.users.has(id));
    for (const user of await findUsersByIds(this.db, missing)) this.users.set(user.id, user);
    return this.users;
  }

  /**
   * The documents of one page of the plan, each followed by its kept versions if asked, one at a
   * time. Fields are read for a few documents at a time and kept versions a few at a time, by
   * size: a page of 50 documents at the content limit is 100 MiB of HTML, which read at once held
   * the event loop and the memory for all of it (issue 7).
   */
  async *load(ids: number[]): AsyncGenerator<LoadedDocument> {
    const records = (await findRecords(this.db, ids)).sort((a, b) => a.id - b.id);
    const lengths = await contentLengths(this.db, records.map((r) => r.id));
    for (const batch of bySize(records, (r) => lengths.get(r.id) ?? 0)) yield* this.loadBatch(batch);
  }

  private async *loadBatch(records: RecordRow[]): AsyncGenerator<LoadedDocument> {
    const fields = await fieldsOfDocuments(this.db, records.map((r) => r.id));
    const refs = await fieldReferences(this.db, fields.map((f) => f.id));
    const referencesOf = new Map<number, FieldReferences>(fields.map((f) => [f.id, { fileIds: [], links: [] }]));
    for (const r of refs.files) referencesOf.get(r.fieldId)?.fileIds.push(r.fileId);
    for (const l of refs.links) referencesOf.get(l.fieldId)?.links.push(l);
    const batch = new BatchReferences(this.db, this.plan, (ids) => this.owners(ids));
    await batch.learn([...records.flatMap((r) => (r.parentId === null ? [] : [r.parentId])), ...referencedIds(referencesOf.values())]);
    const owners = await this.owners(records.map((r) => r.ownerId));
    const commentsOf = new Map<number, ExportComment[]>();
    for (const { fieldId, id, author, text, created } of await commentsOfDocuments(this.db, records.map((r) => r.id))) {
      commentsOf.set(fieldId, [...(commentsOf.get(fieldId) ?? []), { id, author, text, created }]);
    }
    const link = (reference: FieldReferences['links'][number]) =>
      documentLink(reference, batch.planned.get(reference.targetId), this.format, this.sourceUrl);

    for (const record of records) {
      const folder = documentFolder(record.name, record.id);
      const files = new DocumentFiles(folder, this.format, (id) => batch.file(id));
      const place = (id: number) => files.place(id);
      const owner = owners.get(record.ownerId);
      const base = {
        id: record.id,
        created: record.created,
        owner: { username: owner?.username ?? '', fullName: owner ? `${owner.firstName} ${owner.lastName}` : '' },
        form: await this.form(record.formId),
        parent: documentParent(record.parentId, record.parentId === null ? undefined : batch.planned.get(record.parentId)),
        provenance: record.provenance,
      };
      const kept = this.withRevisions ? await keptVersions(this.db, record.id) : [];
      const currentFolder = { version: record.version, folder, current: true };
      const keptFolders = kept.map((v) => ({ version: v.version, folder: documentFolder(v.name, record.id, v.version), current: false }));
      yield {
        document: {
          ...base,
          name: record.name,
          version: record.version,
          revisionOf: null,
          modified: record.modified,
          tags: splitTags(record.tags),
          folder,
          otherVersions: keptFolders,
          fields: fields.filter((f) => f.documentId === record.id).map((f) => exportField(f, referencesOf.get(f.id)!, place, link, null, commentsOf.get(f.id) ?? [])),
        },
        copies: files.takeCopies(),
      };
      let keptFields = new Map<number, { field: Omit<Field, 'documentId'>; references: FieldReferences }[]>();
      for (const [i, v] of kept.entries()) {
        if (!keptFields.has(v.version)) keptFields = await this.readKept(record.id, bySize(kept.slice(i), (k) => k.length)[0]!, batch);
        yield {
          document: {
            ...base,
            name: v.name,
            version: v.version,
            revisionOf: record.id,
            modified: v.modified,
            tags: splitTags(v.tags),
            folder: keptFolders[i]!.folder,
            otherVersions: [currentFolder, ...keptFolders.filter((_k, j) => j !== i)],
            fields: (keptFields.get(v.version) ?? []).map(({ field, references }) => exportField(field, references, place, link, folder, [])),
          },
          copies: files.takeCopies(),
        };
      }
    }
  }

  /** The fields of a run of kept versions and what they reference, the plan asked once for the run. */
  private async readKept(documentId: number, run: { version: number }[], batch: BatchReferences) {
    const read = [...(await keptVersionFields(this.db, documentId, run.map((k) => k.version)))].map(
      ([version, fields]) => [version, fields.map((field) => ({ field, ids: idsInHtml(field.content) }))] as const,
    );
    await batch.learn(read.flatMap(([, fields]) => fields.flatMap(({ ids }) => [...ids.fileIds, ...ids.documentIds])));
    return new Map(read.map(([version, fields]) => [version, fields.map(({ field, ids }) => ({ field, references: keptReferences(ids, batch.planned) }))]));
  }
}

/** Characters of HTML read in one query, unless one document alone has more: about two fields at the content limit. */
const readBatchLength = 4 * 1024 * 1024;

/** Splits `items`, in order, into runs of at most `readBatchLength` by `length`, each of one item at least. */
export function bySize<T>(items: T[], length: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let size = Infinity;
  for (const item of items) {
    if (size + length(item) > readBatchLength) {
      batches.push([]);
      size = 0;
    }
    batches[batches.length - 1]!.push(item);
    size += length(item);
  }
  return batches;
}

function splitTags(tags: string): string[] {
  return tags.split(',').map((t) => t.trim()).filter(Boolean);
}
