import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { documentFolder, entryFileName, mediaFolder, pathHref } from '../domain/archiveNames.js';
import type { ExportDocument, ExportField, ExportFieldFile, ExportFile, ExportFormat } from '../domain/exportModel.js';
import type { Field, Form, MediaFile, RecordRow, User } from '../domain/model.js';
import { contentLengths, fieldsOfDocuments, keptVersionFields, keptVersions } from '../store/queries/fields.js';
import { findForm } from '../store/queries/forms.js';
import { findMediaFiles } from '../store/queries/media.js';
import { findRecords } from '../store/queries/records.js';
import { findUsersByIds } from '../store/queries/users.js';
import { fieldReferences } from '../store/queries/exportPlan.js';
import type { ExportPlan } from './plan.js';

function extensionOf(fileName: string): string {
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

/** A document ready to render, and the bytes its folder holds besides its page. */
export interface LoadedDocument {
  document: ExportDocument;
  /** Copies of files that have no folder of their own in this archive: path in the archive, and the blob. */
  copies: { path: string; file: MediaFile }[];
}

/** Loads the full content of one page of the plan's documents, and their kept versions if asked. */
export class DocumentLoader {
  private readonly forms = new Map<number, Form | undefined>();
  private readonly users = new Map<number, User>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly plan: ExportPlan,
    private readonly format: ExportFormat,
    private readonly sourceUrl: string,
    private readonly withRevisions: boolean,
  ) {}

  private async form(id: number | null): Promise<Form> {
    const key = id ?? 0;
    if (!this.forms.has(key)) this.forms.set(key, await findForm(this.db, key));
    return this.forms.get(key) ?? { id: key, name: 'Unknown form', fields: [] };
  }

  async owners(ids: number[]): Promise<Map<number, User>> {
    const missing = [...new Set(ids)].filter((id) => !this.users.has(id));
    for (const user of await findUsersByIds(this.db, missing)) this.users.set(user.id, user);
    return this.users;
  }

  private documentHref(id: number, name: string, live: boolean): { href: string; inArchive: boolean } {
    if (live && this.plan.documents.has(id)) {
      const folder = documentFolder(this.plan.records.get(id)?.name ?? name, id);
      return { href: `../${folder}/${folder}.${this.format}`, inArchive: true };
    }
    return { href: `${this.sourceUrl}/globalId/SD${id}`, inArchive: false };
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
    const media = await findMediaFiles(this.db, [...new Set(refs.files.map((r) => r.fileId))]);
    const owners = await this.owners([...records.map((r) => r.ownerId), ...media.map((m) => m.record.ownerId)]);
    for (const record of records) {
      const folder = documentFolder(record.name, record.id);
      // Copies placed since the last document was handed out: a kept version may show a file its
      // current version does not, copied into the current version's folder all the same.
      const copies: LoadedDocument['copies'] = [];
      // Windows and macOS file systems ignore case, so `_CON` and `_con` would extract to one file.
      const folded = (name: string) => name.normalize('NFC').toLowerCase();
      const usedNames = new Set<string>([`${folder}.${this.format}`, `${folder}_form.xml`].map(folded));
      const fileHref = new Map<number, ExportFieldFile>();
      const placeFile = (fileId: number): ExportFieldFile | undefined => {
        if (fileHref.has(fileId)) return fileHref.get(fileId);
        const found = media.find((m) => m.record.id === fileId);
        if (!found || !this.plan.records.has(fileId)) return undefined;
        const owner = owners.get(found.record.ownerId)?.username ?? '';
        const ownFolder = this.plan.files.has(fileId);
        const file = exportFile(found.record, found.file, owner, ownFolder);
        let placed: ExportFieldFile;
        if (file.folder) {
          placed = { file, path: `${file.folder}/${file.fileName}`, href: `../${pathHref(`${file.folder}/${file.fileName}`)}` };
        } else {
          const name = usedNames.has(folded(file.fileName)) ? `${file.id}-${file.fileName}` : file.fileName;
          usedNames.add(folded(name));
          copies.push({ path: `${folder}/${name}`, file: found.file });
          placed = { file, path: `${folder}/${name}`, href: pathHref(name) };
        }
        fileHref.set(fileId, placed);
        return placed;
      };
      const toField = (f: Omit<Field, 'documentId'>, fromRevision: boolean): ExportField => {
        const fileIds = fromRevision ? idsIn(f.content, 'data-file-id') : refs.files.filter((r) => r.fieldId === f.id).map((r) => r.fileId);
        const links = fromRevision
          ? idsIn(f.content, 'data-doc-id').map((targetId) => ({ targetId, name: this.plan.records.get(targetId)?.name ?? `SD${targetId}`, live: true }))
          : refs.links.filter((l) => l.fieldId === f.id);
        return {
          id: f.id,
          name: f.name,
          type: f.type,
          columnIndex: f.columnIndex,
          modified: f.modified,
          content: f.content,
          sanitiserVersion: f.sanitiserVersion,
          files: fileIds.flatMap((id) => {
            const placed = placeFile(id);
            if (!placed) return [];
            // A kept version lives in a sibling folder: its links start one level up too.
            return [fromRevision && !placed.file.folder ? { ...placed, href: `../${folder}/${placed.href}` } : placed];
          }),
          links: links.map((l) => ({ id: l.targetId, name: l.name, ...this.documentHref(l.targetId, l.name, l.live) })),
        };
      };
      const owner = owners.get(record.ownerId);
      const parentRecord = record.parentId === null ? undefined : this.plan.records.get(record.parentId);
      const base = {
        id: record.id,
        created: record.created,
        owner: { username: owner?.username ?? '', fullName: owner ? `${owner.firstName} ${owner.lastName}` : '' },
        form: await this.form(record.formId),
        parent: record.parentId === null
          ? null
          : {
              id: record.parentId,
              name: parentRecord?.name ?? '',
              treeType: parentRecord?.kind === 'NOTEBOOK' ? 'NOTEBOOK' : 'FOLDER',
              inArchive: this.plan.folders.has(record.parentId),
            },
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
          fields: fields.filter((f) => f.documentId === record.id).map((f) => toField(f, false)),
        },
        copies: copies.splice(0),
      };
      let keptFields = new Map<number, Omit<Field, 'documentId'>[]>();
      for (const [i, v] of kept.entries()) {
        if (!keptFields.has(v.version)) {
          const next = bySize(kept.slice(i), (k) => k.length)[0]!;
          keptFields = await keptVersionFields(this.db, record.id, next.map((k) => k.version));
        }
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
            fields: (keptFields.get(v.version) ?? []).map((f) => toField(f, true)),
          },
          copies: copies.splice(0),
        };
      }
    }
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

function idsIn(html: string, attribute: string): number[] {
  return [...new Set([...html.matchAll(new RegExp(`${attribute}="(\\d+)"`, 'g'))].map((m) => Number(m[1])))];
}
