import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import type { BlobStore } from '../blobs/blobStore.js';
import type { ArchiveStore } from '../blobs/archiveStore.js';
import { archiveName } from '../domain/archiveNames.js';
import { ElnportError, exportFailed } from '../domain/errors.js';
import type { ExportRequest } from '../domain/exportJob.js';
import type { ExportCounts, ExportFormat, ExportManifest } from '../domain/exportModel.js';
import type { MediaFile } from '../domain/model.js';
import type { Viewer } from '../domain/permissions.js';
import { findMediaFiles } from '../store/queries/media.js';
import { maxThreads, runOnThread, worthAThread } from '../threads/pool.js';
import { Slices } from '../threads/slices.js';
import type { ExportPlan } from './archiveContents.js';
import type { Entry } from './documentEntries.js';
import { worthCompressing } from './compression.js';
import { StoredEntities } from './eln/storedEntities.js';
import { formats, type ListingEntry } from './formats.js';
import { DocumentLoader, exportFile, extensionOf, type LoadedDocument } from './load.js';
import { manifestText } from './manifest.js';
import { inOrder } from './ordered.js';
import { discardPlan, planExport } from './plan.js';
import { PlanReader } from './planReader.js';
import { loadAndRender, renderDocuments, toRender, type LoadAndRender, type RenderedBatch, type RenderedDocument } from './toRender.js';
import { ZipWriter } from './zip/zipWriter.js';

export interface BuildContext {
  db: Kysely<DB>;
  blobs: BlobStore;
  archives: ArchiveStore;
  appVersion: string;
  sourceUrl: string;
  /**
   * The embedded database's file, when the store is one: threads then read the documents on
   * connections of their own, since on SQLite every read holds the thread that makes it. Without
   * it (PostgreSQL, whose reads wait off the event loop) the main thread reads them.
   */
  sqliteFile?: string;
}

/**
 * Below this many documents an export renders on the event loop, in slices: starting the threads
 * (each loads the renderers and opens its own database connection) cost more than it saved, a
 * 1,000-document export took 1.2-1.3 s on threads and 0.7 s before them (bench memory-1000).
 */
const threadsFrom = 2_000;

/** How documents are rendered: the defaults are the server's; the rest is for comparing (tests, bench). */
export interface BuildOptions {
  /** True: on worker threads. False: one batch at a time, on the event loop. Default: threads from `threadsFrom` documents. */
  parallel?: boolean;
  /** Batches rendered at once when parallel. */
  window?: number;
  /** Called with the archive's name once it is whole, before it is committed under it; a rejection discards it. */
  beforeCommit?: (name: string) => Promise<void>;
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
/**
 * A render batch is cut at this many documents or this many characters of content, whichever
 * comes first: enough to make a thread's round trip worth it, little enough that the batches in
 * flight stay a few MiB.
 */
const batchDocuments = 50;
const batchCharacters = 1024 * 1024;
/** Batches in flight: one rendering and one queued behind it per thread, so no thread waits on the event loop. */
const defaultWindow = 2 * maxThreads;

/** About 14 URL-safe characters from a secure source: archive names must not be guessable. */
function randomToken(): string {
  return randomBytes(11).toString('base64url').slice(0, 14);
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

function contentLength({ document }: LoadedDocument): number {
  return document.fields.reduce((sum, field) => sum + field.content.length, 0);
}

/** Loaded documents in runs of at most `batchDocuments` and `batchCharacters` (one document at least). */
async function* renderBatches(documents: AsyncIterable<LoadedDocument>): AsyncGenerator<LoadedDocument[]> {
  let batch: LoadedDocument[] = [];
  let characters = 0;
  for await (const loaded of documents) {
    const length = contentLength(loaded);
    if (batch.length > 0 && (batch.length === batchDocuments || characters + length > batchCharacters)) {
      yield batch;
      batch = [];
      characters = 0;
    }
    batch.push(loaded);
    characters += length;
  }
  if (batch.length > 0) yield batch;
}

/** A batch's rendered entries, which come in the batch's order, cut into each document's own. */
function byDocument(batch: LoadedDocument[], { entries: rendered, crates }: RenderedBatch): RenderedDocument[] {
  let at = 0;
  return batch.map(({ document, copies }, i) => {
    let end = at;
    while (end < rendered.length && rendered[end]!.path.startsWith(`${document.folder}/`)) end++;
    const entries = rendered.slice(at, end);
    at = end;
    return { id: document.id, current: document.revisionOf === null, entries, crate: crates[i]!, copies };
  });
}

class ArchiveBuilder {
  private done = 0;
  private readonly total: number;
  private readonly top: string;
  private readonly format: (typeof formats)[ExportFormat];
  private readonly slices = new Slices();
  /** Set for a format whose closing entries describe the documents as they were written (`.eln`). */
  private readonly entities: StoredEntities | undefined;

  constructor(
    private readonly ctx: BuildContext,
    private readonly plan: ExportPlan,
    private readonly reader: PlanReader,
    private readonly zip: ZipWriter,
    private readonly formatName: ExportFormat,
    private readonly manifest: ExportManifest,
    private readonly loader: DocumentLoader,
    name: string,
    private readonly options: Required<Pick<BuildOptions, 'parallel' | 'window'>>,
    private readonly onProgress: ProgressListener,
  ) {
    this.top = name.replace(/\.(zip|eln)$/, '');
    this.format = formats[formatName];
    this.entities = this.format.closing ? new StoredEntities(ctx.db, plan.jobId) : undefined;
    const { documents, folders, files } = plan.counts;
    this.total = (documents + folders + files + 1) * recordWeight + plan.fileBytes;
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
    const advance = (n: number) => this.advance(n);
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        advance(chunk.length);
        yield chunk;
      }
    }
    try {
      await this.zip.addStream(`${this.top}/${path}`, Readable.from(counted()), { size: file.size, compress: worthCompressing(file.contentType, extensionOf(file.fileName)) });
    } finally {
      // Not read to its end when the zip failed first: its file handle goes now, not at collection.
      source.destroy();
    }
  }

  async run(): Promise<void> {
    await this.zip.addDirectory(this.top);
    await this.write([{ path: 'manifest.txt', data: manifestText(this.manifest) }, ...this.format.opening(this.manifest)]);
    this.advance(recordWeight);
    const documents = this.rendered();
    // Asked for now, so that the first batches render (and a first export's threads load the
    // renderers and open their connections, 0.3 s) while this thread writes the listings.
    const first = documents.next();
    // Its failure is thrown below, where it is awaited, not reported as unhandled meanwhile.
    first.catch(() => undefined);
    try {
      await this.writeListings();
      await this.writeDocuments(first, documents);
    } finally {
      // After the last batch this does nothing. After a failure it stops the rendering, once the
      // batch being rendered is done, so that nothing of the export runs on after it has ended;
      // the error that matters is the one thrown already.
      await documents.return(undefined).catch(() => undefined);
    }
    await this.writeFiles();
    await this.writeClosing();
  }

  /** The format's listings (ArchiveFormat.listings), read from the plan. */
  private async writeListings(): Promise<void> {
    await this.writeListed(this.format.listings(this.reader));
    this.advance(this.plan.counts.folders * recordWeight);
  }

  /** The format's closing entries (ArchiveFormat.closing), once the documents' entities are all stored. */
  private async writeClosing(): Promise<void> {
    if (!this.format.closing) return;
    await this.entities?.finish();
    await this.writeListed(this.format.closing(this.reader));
  }

  private async writeListed(listed: AsyncIterable<ListingEntry>): Promise<void> {
    for await (const { path, data } of listed) {
      if (typeof data === 'string') await this.zip.addBuffer(`${this.top}/${path}`, data);
      else await this.zip.addStream(`${this.top}/${path}`, Readable.from(this.paced(data)));
      await this.slices.pause();
    }
  }

  /** A page's pieces as they come: its reads answer within the turn on SQLite, and a long page would hold it. */
  private async *paced(pieces: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const piece of pieces) {
      yield piece;
      await this.slices.pause();
    }
  }

  /** On PostgreSQL: documents read here, the reads waiting off the event loop, and rendered on threads. */
  private async *loaded(): AsyncGenerator<LoadedDocument> {
    for await (const page of this.reader.documentPages(documentPage)) {
      for await (const loaded of this.loader.load(page.map((r) => r.id))) {
        yield loaded;
        await this.slices.pause();
      }
    }
  }

  /** Rendered batches in the plan's order, several at once when parallel. */
  private rendered(): AsyncGenerator<RenderedDocument[]> {
    const { parallel, window } = this.options;
    const width = parallel ? window : 1;
    const file = this.ctx.sqliteFile;
    if (file !== undefined) {
      // On SQLite this thread only walks the plan's ids: the documents are read, rendered and
      // deflated on a thread (or, sequential, by the same code here, on the server's connection).
      const { plan, manifest, formatName: format } = this;
      const ask = (page: { id: number }[]): LoadAndRender => ({ plan, manifest, format, withRevisions: manifest.includeRevisionHistory, ids: page.map((r) => r.id) });
      const load = async (page: { id: number }[]) =>
        parallel ? await runOnThread('loadAndRenderDocuments', { file, ...ask(page) }) : await loadAndRender(this.ctx.db, ask(page));
      return inOrder(this.reader.documentPages(documentPage), load, width);
    }
    const render = async (batch: LoadedDocument[]) => {
      const input = { format: this.formatName, items: batch.map(({ document }) => toRender(document)), manifest: this.manifest };
      // A batch too small to be worth a thread is rendered inline, so a small export starts none.
      const characters = batch.reduce((sum, loaded) => sum + contentLength(loaded), 0);
      return byDocument(batch, parallel && worthAThread(characters) ? await runOnThread('renderDocuments', input) : renderDocuments(input));
    };
    return inOrder(renderBatches(this.loaded()), render, width);
  }

  /** Written in the plan's order, each document's copied files after its pages. */
  private async writeDocuments(first: Promise<IteratorResult<RenderedDocument[]>>, rest: AsyncGenerator<RenderedDocument[]>): Promise<void> {
    for (let next = await first; !next.done; next = await rest.next()) {
      for (const { id, current, entries, crate, copies } of next.value) {
        for (const entry of entries) await this.zip.addPrepared(`${this.top}/${entry.path}`, entry);
        for (const copy of copies) await this.writeBlob(copy.path, copy.file, `shown in document SD${id}`);
        this.entities?.add(id, crate);
        if (current) this.advance(recordWeight);
        await this.slices.pause();
      }
      await this.entities?.save();
    }
  }

  private async writeFiles(): Promise<void> {
    for await (const page of this.reader.filePages(filePage)) {
      const media = await findMediaFiles(this.ctx.db, page.map((r) => r.id));
      const owners = await this.loader.owners(media.map((m) => m.record.ownerId));
      for (const { record, file } of media) {
        const exported = exportFile(record, file, owners.get(record.ownerId)?.username ?? '', true);
        await this.write(this.format.media(exported, this.manifest));
        await this.writeBlob(`${exported.folder}/${exported.fileName}`, file, 'in the gallery');
        this.advance(recordWeight);
        await this.slices.pause();
      }
    }
  }
}

function manifestOf(ctx: BuildContext, viewer: Viewer, request: ExportRequest, plan: ExportPlan, now: Date): ExportManifest {
  return {
    exportedBy: `${viewer.user.firstName} ${viewer.user.lastName}`,
    appVersion: ctx.appVersion,
    sourceUrl: ctx.sourceUrl,
    archiveId: randomUUID(),
    exportDate: now.toISOString().slice(0, 10),
    exportedAt: now.toISOString(),
    scope: plan.manifestScope,
    counts: plan.counts,
    includeRevisionHistory: request.includeRevisionHistory,
    maxLinkLevel: request.maxLinkLevel,
    modifiedSince: request.modifiedSince,
  };
}

/**
 * Plans an export and writes its archive, streamed: the plan goes to the database, records are
 * read back a page at a time, and pages and file bytes flow through the zip writer to a draft
 * file, which becomes the archive only when whole. On failure or abort the draft is removed and
 * nothing is left behind; the plan's rows go whatever the outcome.
 */
export async function buildArchive(
  ctx: BuildContext,
  jobId: number,
  viewer: Viewer,
  request: ExportRequest,
  signal: AbortSignal,
  onProgress: ProgressListener,
  options: BuildOptions = {},
): Promise<BuiltArchive> {
  try {
    const plan = await planExport(ctx.db, jobId, viewer, request);
    signal.throwIfAborted();
    const now = new Date();
    const name = archiveName(now, request.format, plan.scopeLabel, randomToken());
    const manifest = manifestOf(ctx, viewer, request, plan, now);
    const reader = new PlanReader(ctx.db, plan, manifest);
    const loader = new DocumentLoader(ctx.db, reader, request.format, ctx.sourceUrl, request.includeRevisionHistory);

    const draft = ctx.archives.draft(jobId, name);
    const zip = new ZipWriter(draft.output);
    // The writer's next step fails at once, and the draft stops growing even while a query runs.
    const abort = () => draft.output.destroy(signal.reason instanceof Error ? signal.reason : new Error('The export was cancelled'));
    signal.addEventListener('abort', abort, { once: true });
    try {
      const rendering = { parallel: options.parallel ?? plan.counts.documents >= threadsFrom, window: options.window ?? defaultWindow };
      const builder = new ArchiveBuilder(ctx, plan, reader, zip, request.format, manifest, loader, name, rendering, onProgress);
      await builder.run();
      const { bytes, crc32, sha256 } = await zip.finish();
      signal.throwIfAborted();
      await options.beforeCommit?.(name);
      await draft.commit();
      return { name, size: bytes, crc32, sha256, counts: plan.counts };
    } catch (error) {
      await draft.discard();
      if (signal.aborted) throw signal.reason;
      throw explain(error);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  } finally {
    // Scratch rows: should this fail too, the sweeper removes plans that no running job owns, and
    // the build's own outcome is what the job must report.
    await discardPlan(ctx.db, jobId).catch(() => undefined);
  }
}
