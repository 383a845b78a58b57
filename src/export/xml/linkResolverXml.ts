import { element, xmlDocument } from './xmlTree.js';

/**
 * RSpace fills this map while importing (old ids to new); an export always writes it empty.
 */
export function linkResolverXml(): string {
  return xmlDocument(element('linkResolverMap', [
    element('schemaVersion', 1),
    element('linkMap'),
    element('newToOld'),
  ]));
}
