import type { Kysely } from 'kysely';
import type { BlobStore } from '../blobs/blobStore.js';
import { archiveRefused } from '../domain/errors.js';
import type { ImportJob, ImportResult } from '../domain/exportJob.js';
import type { Viewer } from '../domain/permissions.js';
import type { DB } from '../store/schema.js';
import { blobInput } from './archiveInput.js';
import { openArchive } from './archiveReader.js';
import { isElnArchive, readCrate } from './crateReader.js';
import { importArchive, type ImportHooks } from './importer.js';
import { checkItemCount, type ImportLimits } from './limits.js';
import { carriesRspaceDocuments, isRspaceXmlArchive, readRspaceXml } from './rspaceXml.js';
import type { ArchiveSource, SourceArchive, SourceItem } from './source.js';

/**
 * What the archive is, read by the reader that loses least: a `.eln` that carries RSpace's XML
 * beside its crate (RSpace's own and elnport's) is read from the XML, which holds every field,
 * form and kept version the crate's few properties flatten; any other `.eln` from its crate.
 */
async function readSource(source: ArchiveSource): Promise<SourceArchive> {
  if (isElnArchive(source)) {
    if (carriesRspaceDocuments(source)) return { ...(await readRspaceXml(source)), format: 'eln' };
    return readCrate(source);
  }
  if (isRspaceXmlArchive(source)) return readRspaceXml(source);
  throw archiveRefused(
    'The archive is neither an RSpace XML export (doc_*/doc_*.xml or folderTree.xml in its folder) nor a .eln file (ro-crate-metadata.json in its folder); nothing was imported',
  );
}

function itemCount(items: SourceItem[]): number {
  return items.reduce((n, item) => n + 1 + (item.kind === 'DOCUMENT' ? item.files.length : itemCount(item.children)), 0);
}

/** Imports an import job's uploaded archive into its owner's space (importer.ts). */
export async function importUpload(
  parts: { db: Kysely<DB>; blobs: BlobStore; config: { importLimits: ImportLimits } },
  viewer: Viewer,
  job: ImportJob,
  hooks: ImportHooks,
): Promise<ImportResult> {
  const { archiveName, uploadKey, size, intoFolderId } = job.request;
  const archive = await openArchive(blobInput(parts.blobs, uploadKey, size), parts.config.importLimits);
  try {
    const source = await readSource(archive);
    checkItemCount(itemCount(source.items) + source.galleryFiles.length, parts.config.importLimits);
    hooks.signal.throwIfAborted();
    const target = { name: archiveName.replace(/\.(zip|eln)$/i, ''), intoFolderId, format: source.format, jobId: job.id };
    return await importArchive(parts.db, parts.blobs, viewer, archive, source, target, hooks);
  } finally {
    await archive.close();
  }
}
