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

type AttributeValue = string | number | null | undefined;

/** Attributes whose value is null or undefined are left out, in the order given. */
export function element(
  name: string,
  content: string | number | (XmlElement | null)[] = [],
  attributes: Record<string, AttributeValue> = {},
): XmlElement {
  return {
    name,
    attributes: Object.entries(attributes).flatMap(([key, value]) => (value === null || value === undefined ? [] : [[key, String(value)]])),
    content: Array.isArray(content) ? content.filter((child) => child !== null) : String(content),
  };
}

/** An element for an optional value, or null (left out) when there is none. */
export function optionalElement(name: string, value: string | number | null | undefined): XmlElement | null {
  return value === null || value === undefined ? null : element(name, value);
}

/**
 * Appends the element's text to `out`. The document is joined once at the end: joining each
 * level's children would copy a large field's text once per level it is nested in (issue 7).
 */
function render(node: XmlElement, indent: string, out: string[]): void {
  const attributes = node.attributes.map(([key, value]) => ` ${key}="${escapeXmlAttribute(value)}"`).join('');
  const open = `${indent}<${node.name}${attributes}`;
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

/** RSpace's newer archives put the root element right after the declaration, indenting by four. */
export function xmlDocument(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(root, '', out);
  out.push('\n');
  return out.join('');
}
