import type { ExportDocument, ExportFormat, ExportManifest } from '../domain/exportModel.js';
import { documentPage } from './html/documentPage.js';
import { documentXml } from './xml/documentXml.js';
import { formXml } from './xml/formXml.js';

/** One file of the archive, by its path below the top folder. */
export interface Entry {
  path: string;
  data: string | Buffer;
}

/** A document to render, with what its page needs to know of the archive around it. */
export interface DocumentToRender {
  doc: ExportDocument;
  /** The page of the folder or notebook the document sits in, when that is in the archive too. */
  parentPagePath: string | undefined;
}

/**
 * The files one document becomes in an archive of the given format. Pure and synchronous: it
 * runs on a worker thread (export/toRender.ts), so everything it needs arrives as cloneable data.
 */
export function documentEntries(format: ExportFormat, { doc, parentPagePath }: DocumentToRender, manifest: ExportManifest): Entry[] {
  const page = (): Entry => ({ path: `${doc.folder}/${doc.folder}.html`, data: documentPage(doc, manifest, parentPagePath) });
  const xml = (): Entry[] => [
    { path: `${doc.folder}/${doc.folder}.xml`, data: documentXml(doc, manifest.sourceUrl) },
    { path: `${doc.folder}/${doc.folder}_form.xml`, data: formXml(doc) },
  ];
  switch (format) {
    case 'html':
      return [page()];
    case 'xml':
      return xml();
    case 'eln':
      // The page for people, the XML for an importer that knows RSpace's archives (issue 11, item 3).
      return [page(), ...xml()];
  }
}
