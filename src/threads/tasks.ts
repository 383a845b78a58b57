/**
 * The CPU-heavy steps that must not hold the event loop, as pure functions of cloneable input:
 * run on a worker thread (pool.ts), or inline when the input is small. Each takes one argument,
 * as piscina passes it.
 */
import { Piscina } from 'piscina';
import type { ExportDocument, ExportManifest } from '../domain/exportModel.js';
import { contentLimits, nestsDeeperThan } from '../domain/contentLimits.js';
import { prepareFieldContent, type PreparedContent } from '../domain/fieldContent.js';
import { documentPage } from '../export/html/documentPage.js';
import { documentXml } from '../export/xml/documentXml.js';

/** Search's text of a field (store/queries/fields.ts). */
export { plainText } from '../domain/fieldContent.js';

/** Sanitises new field content; 'too deep' (checked first, in linear time) when it nests past the limit. */
export function prepareField(input: string): PreparedContent | 'too deep' {
  return nestsDeeperThan(input, contentLimits.nestingDepth) ? 'too deep' : prepareFieldContent(input);
}

/**
 * A page as the bytes the archive stores. From a worker thread the buffer is handed over, not
 * copied: returning the text would cost the event loop a copy to receive it and another to encode it.
 */
function pageBytes(page: string): Buffer {
  const bytes = Buffer.from(page);
  return Piscina.isWorkerThread ? (Piscina.move(bytes) as unknown as Buffer) : bytes;
}

export function htmlDocumentPage([doc, manifest, parentPagePath]: [ExportDocument, ExportManifest, string | undefined]): Buffer {
  return pageBytes(documentPage(doc, manifest, parentPagePath));
}

export function xmlDocument([doc, sourceUrl]: [ExportDocument, string]): Buffer {
  return pageBytes(documentXml(doc, sourceUrl));
}
