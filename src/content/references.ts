import type { Kysely } from 'kysely';
import type { DB } from '../store/schema.js';
import { checkContentSizes, nestingTooDeep } from '../domain/contentLimits.js';
import { illegalArgument } from '../domain/errors.js';
import { renderPlaceholders, type PreparedContent, type ReferencedDocument, type ReferencedFile } from '../domain/fieldContent.js';
import { canRead, type Viewer } from '../domain/permissions.js';
import { isStorableId } from '../store/dialect.js';
import { findRecords } from '../store/queries/records.js';
import { runTask } from '../threads/pool.js';
import { readableFiles } from './files.js';

export interface ResolvedContent {
  html: string;
  /** What search reads. */
  text: string;
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
  for (const { record, file } of await readableFiles(db, viewer, fileIds.filter(isStorableId))) {
    files.set(record.id, { id: record.id, name: file.fileName, contentType: file.contentType });
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
  // Made here, before the caller's transaction: a field at the size limit takes 20–30 ms to turn
  // into text, on a worker thread, and the transaction should not wait for it.
  return Promise.all(
    prepared.map(async (p) => {
      const html = renderPlaceholders(p.html, files, documents);
      return { html, text: await runTask('plainText', html, html.length), fileIds: p.references.fileIds, documentIds: p.references.documentIds };
    }),
  );
}
