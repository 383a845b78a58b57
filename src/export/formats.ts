import type { ExportDocument, ExportFile, ExportFolder, ExportFolderPage, ExportManifest, ExportUser } from '../domain/exportModel.js';
import { azIndexPage, folderPage, indexPage, mediaPage, resources } from './html/index.js';
import {
  documentSchemaXsd,
  folderTreeSchemaXsd,
  folderTreeXml,
  formSchemaXsd,
  formXml,
  galleryXml,
  linkResolverXml,
  usersSchemaXsd,
  usersXml,
} from './xml/index.js';
import { runTask } from '../threads/pool.js';

/** One file of the archive, by its path below the top folder. */
export interface Entry {
  path: string;
  data: string | Buffer;
}

/** Everything the closing pages of an archive need to know about what it holds. */
export interface ArchiveIndex {
  manifest: ExportManifest;
  folders: ExportFolder[];
  folderPages: ExportFolderPage[];
  /** What is not inside any exported folder. */
  top: { folders: ExportFolder[]; documents: { id: number; name: string; folder: string }[]; files: ExportFile[] };
  azItems: { name: string; href: string; kind: string; globalId: string }[];
  users: ExportUser[];
}

function contentLength(doc: ExportDocument): number {
  return doc.fields.reduce((sum, field) => sum + field.content.length, 0);
}

/** What differs between an HTML and an XML archive; the builder does the rest. */
export interface ArchiveFormat {
  /** Written right after the manifest. */
  opening(manifest: ExportManifest): Entry[];
  /** A large document is rendered on a worker thread (threads/pool.ts), hence the promise. */
  document(doc: ExportDocument, manifest: ExportManifest, parentPagePath: string | undefined): Promise<Entry[]>;
  /** The page or metadata beside a file in its own media_ folder (the bytes are written by the builder). */
  media(file: ExportFile, manifest: ExportManifest): Entry[];
  closing(index: ArchiveIndex): Entry[];
}

export const html: ArchiveFormat = {
  opening: () => resources().map((r) => ({ path: `resources/${r.name}`, data: r.data })),
  document: async (doc, manifest, parentPagePath) => [
    { path: `${doc.folder}/${doc.folder}.html`, data: await runTask('htmlDocumentPage', [doc, manifest, parentPagePath], contentLength(doc)) },
  ],
  media: (file, manifest) => (file.folder ? [{ path: `${file.folder}/${file.folder}.html`, data: mediaPage(file, manifest) }] : []),
  closing: (index) => [
    ...index.folderPages.map((page) => ({
      path: page.folder.pagePath,
      data: folderPage(page, index.manifest, index.folders.find((f) => f.id === page.folder.parentId)),
    })),
    { path: 'index.html', data: indexPage(index.manifest, index.top) },
    { path: 'a-zIndex.html', data: azIndexPage(index.azItems, index.manifest) },
  ],
};

export const xml: ArchiveFormat = {
  opening: () => [
    { path: 'documentSchema.xsd', data: documentSchemaXsd },
    { path: 'formSchema.xsd', data: formSchemaXsd },
  ],
  document: async (doc, manifest) => [
    { path: `${doc.folder}/${doc.folder}.xml`, data: await runTask('xmlDocument', [doc, manifest.sourceUrl], contentLength(doc)) },
    { path: `${doc.folder}/${doc.folder}_form.xml`, data: formXml(doc) },
  ],
  media: (file) => (file.folder ? [{ path: `${file.folder}/${file.folder}.xml`, data: galleryXml(file) }] : []),
  closing: (index) => [
    { path: 'folderTree.xml', data: folderTreeXml(index.folders) },
    { path: 'folderTreeSchema.xsd', data: folderTreeSchemaXsd },
    { path: 'linkResolver.xml', data: linkResolverXml() },
    ...(index.manifest.scope === 'SELECTION'
      ? []
      : [
          { path: 'users.xml', data: usersXml(index.users) },
          { path: 'usersSchema.xsd', data: usersSchemaXsd },
        ]),
  ],
};
