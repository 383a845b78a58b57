import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { checkContentSizes, nestingTooDeep } from '../domain/contentLimits.js';
import { illegalArgument } from '../domain/errors.js';
import { renderPlaceholders, type PreparedContent, type ReferencedDocument, type ReferencedFile } from '../domain/fieldContent.js';
import { canRead, type Viewer } from '../domain/permissions.js';
import { findMediaFiles } from '../store/queries/media.js';
import { isStorableId } from '../store/dialect.js';
import { findRecords } from '../store/queries/records.js';
import { runTask } from '../threads/pool.js';

export interface ResolvedContent {
  html: string;
  fileIds: number[];
  documentIds: number[];
}

async function prepare(content: string, index: number): Promise<PreparedContent> {
  const prepared = await runTask('prepareField', content, content.length);
  if (prepared === 'too deep') throw nestingTooDeep(index);
  return prepared;
}

/**
 * Sanitises each field's new content, off the event loop when it is large, and resolves what it
 * references. Content over the limits is refused before it is parsed. Every referenced file and
 * document must exist and be readable by the writer, or nothing is written.
 */
export async function resolveFieldContents(db: Kysely<DB>, viewer: Viewer, contents: string[]): Promise<ResolvedContent[]> {
  checkContentSizes(contents);
  const prepared = await Promise.all(contents.map(prepare));
  const fileIds = [...new Set(prepared.flatMap((p) => p.references.fileIds))];
  const documentIds = [...new Set(prepared.flatMap((p) => p.references.documentIds))];

  const files = new Map<number, ReferencedFile>();
  for (const { record, file } of await findMediaFiles(db, fileIds.filter(isStorableId))) {
    if (canRead(viewer, record.ownerId)) files.set(record.id, { id: record.id, name: file.fileName, contentType: file.contentType });
  }
  const documents = new Map<number, ReferencedDocument>();
  for (const record of await findRecords(db, documentIds)) {
    if (record.kind === 'DOCUMENT' && canRead(viewer, record.ownerId)) documents.set(record.id, { id: record.id, name: record.name });
  }
  const badFiles = fileIds.filter((id) => !files.has(id));
  const badDocuments = documentIds.filter((id) => !documents.has(id));
  if (badFiles.length || badDocuments.length) {
    const parts = [
      badFiles.length ? `file ${badFiles.join(', ')}` : '',
      badDocuments.length ? `document ${badDocuments.join(', ')}` : '',
    ].filter(Boolean);
    throw illegalArgument(`Field content refers to ${parts.join(' and ')}, which does not exist or you may not read`);
  }
  return prepared.map((p) => ({
    html: renderPlaceholders(p.html, files, documents),
    fileIds: p.references.fileIds,
    documentIds: p.references.documentIds,
  }));
}
