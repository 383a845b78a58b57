import type { ExportFile, ExportFormat, ExportManifest } from '../domain/exportModel.js';
import type { ArchiveContents } from './archiveContents.js';
import type { Entry } from './documentEntries.js';
import { crateMetadata, type CrateContents } from './eln/crateMetadata.js';
import { azIndexPage, folderPage, indexPage, mediaPage, resources } from './html/index.js';
import {
  documentSchemaXsd,
  folderTreeSchemaXsd,
  folderTreeXml,
  formSchemaXsd,
  galleryXml,
  linkResolverXml,
  usersSchemaXsd,
  usersXml,
} from './xml/index.js';

/** A file that lists the archive: a page as long as the archive is text written as it is read. */
export interface ListingEntry {
  path: string;
  data: string | AsyncIterable<string>;
}

/**
 * What differs between an HTML and an XML archive, apart from its documents (documentEntries(),
 * on worker threads); the builder does the rest.
 */
export interface ArchiveFormat {
  /** Written right after the manifest. */
  opening(manifest: ExportManifest): Entry[];
  /** The page or metadata beside a file in its own media_ folder (the bytes are written by the builder). */
  media(file: ExportFile, manifest: ExportManifest): Entry[];
  /**
   * The files that list what the archive holds (HTML: the index, A–Z index and folder pages; XML:
   * folderTree.xml, linkResolver.xml, users.xml and their schemas), read from the plan as they are
   * written, before the documents: write each entry's data whole before asking for the next
   * entry, which may go on reading the same contents.
   */
  listings(contents: ArchiveContents): AsyncIterable<ListingEntry>;
  /** Written last, after every document and file: what describes them all as they were written (`.eln`: the RO-Crate metadata). */
  closing?(contents: CrateContents): AsyncIterable<ListingEntry>;
}

/**
 * A streamed page's text in pieces of at most this many UTF-16 units: one per list item would
 * be tens of thousands of tiny writes for a large archive, and a whole page would be a string as
 * large as the archive's index (issue 9).
 */
export const listingPieceSize = 64 * 1024;

/**
 * Gathers small pieces and cuts large ones to listingPieceSize, never between the halves of a
 * surrogate pair: each piece is encoded to UTF-8 on its own.
 */
async function* inPieces(text: AsyncIterable<string>): AsyncIterable<string> {
  let pending = '';
  for await (const piece of text) {
    pending += piece;
    while (pending.length >= listingPieceSize) {
      const last = pending.charCodeAt(listingPieceSize - 1);
      const cut = last >= 0xd800 && last <= 0xdbff ? listingPieceSize - 1 : listingPieceSize;
      yield pending.slice(0, cut);
      pending = pending.slice(cut);
    }
  }
  if (pending) yield pending;
}

const html: ArchiveFormat = {
  opening: () => resources().map((r) => ({ path: `resources/${r.name}`, data: r.data })),
  media: (file, manifest) => (file.folder ? [{ path: `${file.folder}/${file.folder}.html`, data: mediaPage(file, manifest) }] : []),
  async *listings(contents) {
    for await (const folder of contents.folders()) yield { path: folder.pagePath, data: inPieces(folderPage(folder, contents)) };
    yield { path: 'index.html', data: inPieces(indexPage(contents)) };
    yield { path: 'a-zIndex.html', data: inPieces(azIndexPage(contents)) };
  },
};

const xml: ArchiveFormat = {
  opening: () => [
    { path: 'documentSchema.xsd', data: documentSchemaXsd },
    { path: 'formSchema.xsd', data: formSchemaXsd },
  ],
  media: (file) => (file.folder ? [{ path: `${file.folder}/${file.folder}.xml`, data: galleryXml(file) }] : []),
  async *listings(contents) {
    yield { path: 'folderTree.xml', data: inPieces(folderTreeXml(contents.folders())) };
    yield { path: 'folderTreeSchema.xsd', data: folderTreeSchemaXsd };
    yield { path: 'linkResolver.xml', data: linkResolverXml() };
    // ARCHIVES.md: users.xml and its schema only in a user's or a group's export.
    if (contents.manifest.scope !== 'SELECTION') {
      yield { path: 'users.xml', data: usersXml(contents.users) };
      yield { path: 'usersSchema.xsd', data: usersSchemaXsd };
    }
  },
};

/**
 * The HTML archive and the XML archive in one, described by an RO-Crate: people read its pages,
 * RSpace-aware importers its XML, and every ELN that reads the consortium's format its metadata.
 */
const eln: ArchiveFormat = {
  opening: (manifest) => [...html.opening(manifest), ...xml.opening(manifest)],
  media: (file, manifest) => [...html.media(file, manifest), ...xml.media(file, manifest)],
  async *listings(contents) {
    yield* html.listings(contents);
    // The consortium asks for a readable page at the crate's root: the index is one.
    yield { path: 'ro-crate-preview.html', data: inPieces(indexPage(contents)) };
    yield* xml.listings(contents);
  },
  async *closing(contents) {
    yield { path: 'ro-crate-metadata.json', data: inPieces(crateMetadata(contents)) };
  },
};

export const formats: Record<ExportFormat, ArchiveFormat> = { html, xml, eln };
