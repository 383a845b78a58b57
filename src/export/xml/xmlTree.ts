import { escapeXmlAttribute, escapeXmlText } from './escape.js';

/**
 * The renderers build a small tree and print it once, so element order is visible in one place
 * per format and escaping cannot be forgotten for any value.
 */
export interface XmlElement {
  name: string;
  attributes: [string, string][];
  /** Text for a simple element, children for a complex one. */
  content: string | XmlElement[];
}

/**
 * An element whose children are read as it is written, for a list as long as the archive
 * (folderTree.xml): the document is then written in pieces, one per child of such an element.
 */
export interface StreamedElement {
  name: string;
  attributes: [string, string][];
  children: AsyncIterable<XmlElement> | (XmlElement | StreamedElement)[];
}

type AttributeValue = string | number | null | undefined;

/** Attributes whose value is null or undefined are left out, in the order given. */
function attributeList(attributes: Record<string, AttributeValue>): [string, string][] {
  return Object.entries(attributes).flatMap(([key, value]) => (value === null || value === undefined ? [] : [[key, String(value)]]));
}

export function element(
  name: string,
  content: string | number | (XmlElement | null)[] = [],
  attributes: Record<string, AttributeValue> = {},
): XmlElement {
  return {
    name,
    attributes: attributeList(attributes),
    content: Array.isArray(content) ? content.filter((child) => child !== null) : String(content),
  };
}

export function streamedElement(
  name: string,
  children: StreamedElement['children'],
  attributes: Record<string, AttributeValue> = {},
): StreamedElement {
  return { name, attributes: attributeList(attributes), children };
}

/** An element for an optional value, or null (left out) when there is none. */
export function optionalElement(name: string, value: string | number | null | undefined): XmlElement | null {
  return value === null || value === undefined ? null : element(name, value);
}

function openTag(node: Pick<XmlElement, 'name' | 'attributes'>, indent: string): string {
  return `${indent}<${node.name}${node.attributes.map(([key, value]) => ` ${key}="${escapeXmlAttribute(value)}"`).join('')}`;
}

/**
 * Appends the element's text to `out`. The document is joined once at the end: joining each
 * level's children would copy a large field's text once per level it is nested in (issue 7).
 */
function render(node: XmlElement, indent: string, out: string[]): void {
  const open = openTag(node, indent);
  if (node.content.length === 0) {
    out.push(`${open}/>`);
  } else if (typeof node.content === 'string') {
    out.push(`${open}>`, escapeXmlText(node.content), `</${node.name}>`);
  } else {
    out.push(`${open}>\n`);
    for (const [i, child] of node.content.entries()) {
      if (i > 0) out.push('\n');
      render(child, `${indent}    `, out);
    }
    out.push(`\n${indent}</${node.name}>`);
  }
}

const declaration = '<?xml version="1.0" encoding="UTF-8"?>';

/** RSpace's newer archives put the root element right after the declaration, indenting by four. */
export function xmlDocument(root: XmlElement): string {
  const out = [declaration];
  render(root, '', out);
  out.push('\n');
  return out.join('');
}

/** The same text as render() would make, in pieces: a streamed element's children one at a time. */
async function* renderPieces(node: StreamedElement, indent: string): AsyncIterable<string> {
  const open = openTag(node, indent);
  let empty = true;
  for await (const child of node.children) {
    yield empty ? `${open}>\n` : '\n';
    empty = false;
    if ('children' in child) {
      yield* renderPieces(child, `${indent}    `);
    } else {
      const out: string[] = [];
      render(child, `${indent}    `, out);
      yield out.join('');
    }
  }
  yield empty ? `${open}/>` : `\n${indent}</${node.name}>`;
}

/** xmlDocument() for a tree holding streamed elements, as it is read. */
export async function* xmlDocumentPieces(root: StreamedElement): AsyncIterable<string> {
  yield declaration;
  yield* renderPieces(root, '');
  yield '\n';
}
