import { SaxesParser } from 'saxes';
import { archiveRefused } from '../domain/errors.js';

/** An element of an archive's metadata: no namespaces, no mixed content worth keeping apart. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), as written: RSpace's `fieldData` is HTML escaped into it. */
  text: string;
}

/**
 * Parses one metadata file into a tree. saxes does no DTD processing at all: nothing is ever
 * fetched (no XXE) and no declared entity is expanded (no billion laughs). An internal subset is
 * refused outright, since RSpace and elnport never write one and it can only be there to declare
 * entities; a reference to an entity XML does not predefine is a well-formedness error, so refused too.
 */
export function parseXml(xml: string, what: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false });
  const root: XmlElement = { name: '', attributes: {}, children: [], text: '' };
  const open: XmlElement[] = [root];
  parser.on('doctype', (doctype) => {
    if (doctype.includes('[')) throw archiveRefused(`${what} declares a DTD internal subset (entities), which an archive's XML never needs: refused`);
  });
  parser.on('opentag', (tag) => {
    const element: XmlElement = { name: tag.name, attributes: { ...tag.attributes }, children: [], text: '' };
    open.at(-1)!.children.push(element);
    open.push(element);
  });
  parser.on('closetag', () => {
    open.pop();
  });
  const addText = (text: string) => {
    open.at(-1)!.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    // A byte-order mark is the encoding's, not the document's: saxes would call it text before the root.
    parser.write(xml.startsWith('\ufeff') ? xml.slice(1) : xml).close();
  } catch (error) {
    if (error instanceof Error && error.name === 'ElnportError') throw error;
    throw archiveRefused(`${what} is not well-formed XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const top = root.children[0];
  if (!top) throw archiveRefused(`${what} has no root element`);
  return top;
}

export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((c) => c.name === name) : [];
}

/** The first of `names` present, trimmed; undefined when none is there or it is empty. */
export function childText(element: XmlElement, ...names: string[]): string | undefined {
  for (const name of names) {
    const text = child(element, name)?.text.trim();
    if (text) return text;
  }
  return undefined;
}
