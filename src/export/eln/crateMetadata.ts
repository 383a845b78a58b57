import type { ExportFile, ExportUser } from '../../domain/exportModel.js';
import type { ArchiveContents } from '../archiveContents.js';
import {
  crateContext,
  descriptorEntity,
  documentEntityId,
  fileEntityId,
  fileEntity,
  folderEntity,
  folderEntityId,
  personEntity,
  publisherEntity,
  rootEntity,
  type Entity,
} from './crateEntities.js';

/** What `ro-crate-metadata.json` reads beyond the listings: all of it streamed from the plan. */
export interface CrateContents extends ArchiveContents {
  /** Every file with its own media_ folder, in id order. */
  files(): AsyncIterable<ExportFile>;
  /** Everyone who owns a record of the archive: the authors. */
  owners(): Promise<ExportUser[]>;
  /** Each document's entities as its pages were rendered (documentEntities(), joined by commas), in id order. */
  documentEntities(): AsyncIterable<string>;
}

/** An entity whose `hasPart` is streamed: its other properties, then the references as they come. */
async function* withParts(entity: Entity, parts: AsyncIterable<string>): AsyncGenerator<string> {
  yield `${JSON.stringify(entity).slice(0, -1)},"hasPart":[`;
  let first = true;
  for await (const id of parts) {
    yield `${first ? '' : ','}${JSON.stringify({ '@id': id })}`;
    first = false;
  }
  yield ']}';
}

/** The ids of what sits directly in a folder (null: the top of the archive), in the listings' order. */
async function* partsOf(contents: ArchiveContents, folderId: number | null): AsyncGenerator<string> {
  const { folders, documents, files } = contents.folderContents(folderId);
  for await (const folder of folders) yield folderEntityId(folder);
  for await (const document of documents) yield documentEntityId(document.folder);
  for await (const file of files) yield fileEntityId(`${file.folder}/${file.fileName}`);
}

/**
 * `ro-crate-metadata.json`, in pieces, one entity a line: the descriptor and publisher, the root
 * and its parts, the authors, every folder with its parts, every document's entities as they were
 * stored while its pages were rendered, and every file with a media_ folder of its own. Nothing
 * is held but the entity being written.
 */
export async function* crateMetadata(contents: CrateContents): AsyncGenerator<string> {
  const { manifest } = contents;
  const { exportedAt } = manifest;
  yield `{"@context":${JSON.stringify(crateContext)},"@graph":[\n`;
  yield `${JSON.stringify(descriptorEntity(exportedAt))},\n${JSON.stringify(publisherEntity(manifest))},\n`;
  yield* withParts(rootEntity(manifest, exportedAt), partsOf(contents, null));
  for (const owner of await contents.owners()) yield `,\n${JSON.stringify(personEntity(owner))}`;
  for await (const folder of contents.folders()) {
    yield ',\n';
    yield* withParts(folderEntity(folder), partsOf(contents, folder.id));
  }
  for await (const entities of contents.documentEntities()) yield `,\n${entities}`;
  for await (const file of contents.files()) yield `,\n${JSON.stringify(fileEntity(file, `${file.folder}/${file.fileName}`))}`;
  yield '\n]}\n';
}
