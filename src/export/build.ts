import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import { archiveName, documentFolder, folderPage as folderPageName } from '../domain/archiveNames.js';
import { ElnportError, exportFailed } from '../domain/errors.js';
import type { ExportRequest } from '../domain/exportJob.js';
import type { ExportCounts, ExportFile, ExportFolder, ExportFolderPage, ExportManifest } from '../domain/exportModel.js';
import type { MediaFile, User } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { findMediaFiles } from '../store/queries/media.js';
import { ZipWriter } from './zip/zipWriter.js';
import { worthCompressing } from './compression.js';
import { html, xml, type ArchiveFormat, type Entry } from './formats.js';
import { DocumentLoader, exportFile } from './load.js';
import { manifestText } from './manifest.js';
import { planExport, type ExportPlan } from './plan.js';
import type { PlanRecord } from '../store/queries/exportPlan.js';

export interface BuildContext {
  db: Kysely<DB>;
  blobs: BlobStore;
  archives: ArchiveStore;
  appVersion: string;
  sourceUrl: string;
}

export interface BuiltArchive {
  name: string;
  size: number;
  crc32: number;
  sha256: string;
  counts: ExportCounts;
}

/** Progress as a fraction of the work, 0 to 1; called often, so the listener throttles. */
export type ProgressListener = (fraction: number) => void;

/** Each record counts as this many bytes of work, so that progress moves with pages and files alike. */
const recordWeight = 16 * 1024;
/** Documents read from the store at a time: enough to amortise the queries, few enough to keep memory flat. */
const documentPage = 50;
const filePage = 200;

/** About 14 URL-safe characters from a secure source: archive names must not be guessable. */
function randomToken(): string {
  return randomBytes(11).toString('base64url').slice(0, 14);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Turns a low-level failure into a message the person who asked for the export can act on. */
function explain(error: unknown): ElnportError {
  if (error instanceof ElnportError) return error;
  // The zip writer wraps what failed under it; the system's error code is down the cause chain.
  let code: string | undefined;
  for (let e: unknown = error; e instanceof Error && !code; e = e.cause) code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') return exportFailed('The server ran out of disk space while writing the archive; ask its administrator to free space, then start the export again', error);
  if (code === 'EDQUOT') return exportFailed('The server reached its disk quota while writing the archive; ask its administrator, then start the export again', error);
  return exportFailed(`The export failed while writing the archive: ${error instanceof Error ? error.message : String(error)}`, error);
}

class ArchiveBuilder {
  private done = 0;
  private readonly total: number;
  private readonly top: string;
  private readonly writtenFiles: ExportFile[] = [];

  constructor(
    private readonly ctx: BuildContext,
    private readonly plan: ExportPlan,
    private readonly zip: ZipWriter,
    private readonly format: ArchiveFormat,
    private readonly manifest: ExportManifest,
    private readonly loader: DocumentLoader,
    private readonly owners: Map<number, User>,
    name: string,
    private readonly onProgress: ProgressListener,
  ) {
    this.top = name.replace(/\.zip$/, '');
    let bytes = 0;
    for (const id of plan.files) bytes += plan.fileSizes.get(id) ?? 0;
    for (const [, ids] of plan.copies) for (const id of ids) bytes += plan.fileSizes.get(id) ?? 0;
    this.total = (plan.documents.size + plan.folders.size + plan.files.size + 1) * recordWeight + bytes;
  }

  private advance(work: number): void {
    this.done += work;
    this.onProgress(Math.min(1, this.done / this.total));
  }

  private async write(entries: Entry[]): Promise<void> {
    for (const entry of entries) await this.zip.addBuffer(`${this.top}/${entry.path}`, entry.data);
  }

  private async writeBlob(path: string, file: MediaFile, label: string): Promise<void> {
    let source: Readable;
    try {
      source = await this.ctx.blobs.open(file.blobKey);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw exportFailed(`The file "${file.fileName}" (GL${file.id}) ${label} is missing from the server's storage, so the archive cannot be complete; ask the server's administrator to restore it`, error);
      }
      throw error;
    }
    const counting = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.advance(chunk.length);
        callback(null, chunk);
      },
    });
    const extension = file.fileName.includes('.') ? file.fileName.slice(file.fileName.lastIndexOf('.') + 1) : '';
    const entry = this.zip.addStream(`${this.top}/${path}`, counting, {
      size: file.size,
      compress: worthCompressing(file.contentType, extension),
    });
    await Promise.all([pipeline(source, counting), entry]);
  }

  async run(): Promise<void> {
    await this.zip.addDirectory(this.top);
    await this.write([{ path: 'manifest.txt', data: manifestText(this.manifest) }, ...this.format.opening(this.manifest)]);
    this.advance(recordWeight);

    for (const page of chunks([...this.plan.documents], documentPage)) {
      for await (const { document, copies } of this.loader.load(page)) {
        const parent = document.parent?.inArchive ? this.plan.records.get(document.parent.id) : undefined;
        await this.write(await this.format.document(document, this.manifest, parent && folderPageName(parent.name, parent.id)));
        for (const copy of copies) await this.writeBlob(copy.path, copy.file, `shown in document SD${document.id}`);
        if (document.revisionOf === null) this.advance(recordWeight);
      }
    }

    for (const page of chunks([...this.plan.files], filePage)) {
      for (const { record, file } of await findMediaFiles(this.ctx.db, page)) {
        const exported = exportFile(record, file, this.owners.get(record.ownerId)?.username ?? '', true);
        this.writtenFiles.push(exported);
        await this.write(this.format.media(exported, this.manifest));
        await this.writeBlob(`${exported.folder}/${exported.fileName}`, file, 'in the gallery');
        this.advance(recordWeight);
      }
    }

    await this.write(this.format.closing(this.index()));
    this.advance(this.plan.folders.size * recordWeight);
  }

  private folder(record: PlanRecord): ExportFolder {
    const owner = this.owners.get(record.ownerId);
    const treeType =
      record.kind === 'NOTEBOOK'
        ? 'NOTEBOOK'
        : owner?.homeFolderId === record.id
          ? 'FOLDER:ROOT'
          : owner?.galleryFolderId === record.id
            ? 'FOLDER:SYSTEM:ROOT_MEDIA'
            : 'FOLDER';
    return {
      id: record.id,
      name: record.name,
      kind: record.kind === 'NOTEBOOK' ? 'NOTEBOOK' : 'FOLDER',
      treeType,
      parentId: record.parentId !== null && this.plan.folders.has(record.parentId) ? record.parentId : null,
      ownerUsername: owner?.username ?? '',
      created: record.created,
      modified: record.modified,
      pagePath: folderPageName(record.name, record.id),
    };
  }

  private index() {
    const records = this.plan.records;
    const folders = [...this.plan.folders].map((id) => this.folder(records.get(id)!));
    const documentsIn = new Map<number | null, { id: number; name: string; folder: string; modified: string }[]>();
    for (const id of this.plan.documents) {
      const r = records.get(id)!;
      const parent = r.parentId !== null && this.plan.folders.has(r.parentId) ? r.parentId : null;
      const list = documentsIn.get(parent) ?? [];
      // Ids grow with creation, so id order is a notebook's entry order.
      list.push({ id, name: r.name, folder: documentFolder(r.name, id), modified: r.modified });
      documentsIn.set(parent, list);
    }
    const folderPages: ExportFolderPage[] = folders.map((folder) => ({
      folder,
      subfolders: folders.filter((f) => f.parentId === folder.id),
      documents: documentsIn.get(folder.id) ?? [],
    }));
    const files = this.writtenFiles;
    return {
      manifest: this.manifest,
      folders,
      folderPages,
      top: {
        folders: folders.filter((f) => f.parentId === null),
        documents: documentsIn.get(null) ?? [],
        files: files.filter((f) => f.parentFolderId === null || !this.plan.folders.has(f.parentFolderId)),
      },
      azItems: [
        ...[...documentsIn.values()].flat().map((d) => ({ name: d.name, href: `${d.folder}/${d.folder}.html`, kind: 'document', globalId: `SD${d.id}` })),
        ...folders.map((f) => ({ name: f.name, href: f.pagePath, kind: f.kind === 'NOTEBOOK' ? 'notebook' : 'folder', globalId: `${f.kind === 'NOTEBOOK' ? 'NB' : 'FL'}${f.id}` })),
        ...files.map((f) => ({ name: f.name, href: `${f.folder}/${f.folder}.html`, kind: 'file', globalId: `GL${f.id}` })),
      ],
      users: this.plan.users.map((u) => ({
        id: u.id,
        username: u.username,
        email: u.email,
        firstName: u.firstName,
        lastName: u.lastName,
        role: u.role,
        affiliation: u.affiliation,
      })),
    };
  }
}

/**
 * Plans an export and writes its archive, streamed: records are read a page at a time and file
 * bytes flow from the blob store through the zip writer to a draft file, which becomes the
 * archive only when whole. On failure or abort the draft is removed and nothing is left behind.
 */
export async function buildArchive(
  ctx: BuildContext,
  jobId: number,
  viewer: Viewer,
  request: ExportRequest,
  signal: AbortSignal,
  onProgress: ProgressListener,
): Promise<BuiltArchive> {
  const plan = await planExport(ctx.db, viewer, request);
  signal.throwIfAborted();
  const now = new Date();
  const name = archiveName(now, request.format, plan.scopeLabel, randomToken());
  const counts: ExportCounts = {
    documents: plan.documents.size,
    folders: plan.folders.size,
    files: plan.files.size + new Set([...plan.copies.values()].flat()).size,
    skipped: plan.skipped,
  };
  const manifest: ExportManifest = {
    exportedBy: `${viewer.user.firstName} ${viewer.user.lastName}`,
    appVersion: ctx.appVersion,
    sourceUrl: ctx.sourceUrl,
    archiveId: randomUUID(),
    exportDate: now.toISOString().slice(0, 10),
    scope: plan.manifestScope,
    counts,
    includeRevisionHistory: request.includeRevisionHistory,
    maxLinkLevel: request.maxLinkLevel,
    modifiedSince: request.modifiedSince,
  };
  const loader = new DocumentLoader(ctx.db, plan, request.format, ctx.sourceUrl, request.includeRevisionHistory);
  const owners = await loader.owners([...plan.records.values()].map((r) => r.ownerId));

  const draft = ctx.archives.draft(jobId, name);
  const sha256 = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      callback(null, chunk);
    },
  });
  const written = pipeline(hashing, draft.output);
  // A cancel destroys the stream while the builder may be waiting on a query: the rejection is
  // looked at below, and must not count as unhandled (Node would end the process) until then.
  written.catch(() => undefined);
  const zip = new ZipWriter(hashing);
  const abort = () => hashing.destroy(signal.reason instanceof Error ? signal.reason : new Error('The export was cancelled'));
  signal.addEventListener('abort', abort, { once: true });
  // A cancel or a shutdown that came while the plan was being made.
  if (signal.aborted) abort();
  try {
    const builder = new ArchiveBuilder(ctx, plan, zip, request.format === 'html' ? html : xml, manifest, loader, owners, name, onProgress);
    await builder.run();
    const { bytes, crc32 } = await zip.finish();
    await written;
    signal.throwIfAborted();
    await draft.commit();
    return { name, size: bytes, crc32, sha256: sha256.digest('hex'), counts };
  } catch (error) {
    hashing.destroy();
    // When the file could not be written, that is the cause; the zip writer only saw its output close.
    const writeError: unknown = await written.then(
      () => null,
      (e: unknown) => e,
    );
    await draft.discard();
    if (signal.aborted) throw signal.reason;
    const systemError = /^E[A-Z]+$/.test(String((writeError as NodeJS.ErrnoException | null)?.code));
    throw explain(error instanceof ElnportError || !systemError ? error : writeError);
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
