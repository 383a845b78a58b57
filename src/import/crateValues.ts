import { escapeHtml } from '../domain/fieldContent.js';
import { isObject, refs, types, type CrateGraph, type Entity } from './crateGraph.js';
import type { SourcePerson } from './source.js';

/** What a crate's entity is called in a warning: its name, and its `@id` when that differs. */
export function label(entity: Entity): string {
  const name = typeof entity.name === 'string' ? entity.name : '';
  return name && name !== entity['@id'] ? `"${name}" (${entity['@id']})` : entity['@id'];
}

// RFC 3339 §5.6 date-time. AI4Green writes `2024-07-18 15:56:12`, PASTA and SampleDB drop the
// offset: a local time with no zone cannot be put in UTC without guessing, so they are left out.
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The entity's date property in ISO 8601 UTC, or nothing (with a warning) if it is not an RFC 3339 date-time. */
export function dateOf(entity: Entity, property: string, warnings: string[]): string | undefined {
  const value = entity[property];
  if (value === undefined) return undefined;
  const time = typeof value === 'string' && rfc3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    warnings.push(`${label(entity)}: ${property} ${JSON.stringify(value)} is not an RFC 3339 date-time; left out`);
    return undefined;
  }
  return new Date(time).toISOString();
}

/** `keywords` as a comma-separated string (the spec) or an array (RSpace). */
export function tagsOf(entity: Entity): string[] {
  const value = entity.keywords;
  const list = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  return [...new Set(list.map((t) => t.trim()).filter(Boolean))];
}

/** `author`, PASTA's `creator`, datalab's and goldStandard's `authors`: Person references, embedded Persons or names. */
export function peopleOf(entity: Entity, graph: CrateGraph): SourcePerson[] {
  const people: SourcePerson[] = [];
  const seen = new Set<string>();
  for (const property of ['author', 'creator', 'authors']) {
    const values = Array.isArray(entity[property]) ? (entity[property] as unknown[]) : [entity[property]];
    for (const value of values) {
      const person = personOf(value, graph);
      const key = person && (person.identifier ?? person.name);
      if (person && key && !seen.has(key)) {
        seen.add(key);
        people.push(person);
      }
    }
  }
  return people;
}

function personOf(value: unknown, graph: CrateGraph): SourcePerson | undefined {
  if (typeof value === 'string') return value.trim() ? { name: value.trim() } : undefined;
  if (!isObject(value)) return undefined;
  const id = typeof value['@id'] === 'string' ? value['@id'] : undefined;
  const node: Record<string, unknown> = (id && graph.get(id)) || value;
  const text = (key: string) => (typeof node[key] === 'string' && (node[key] as string).trim() ? (node[key] as string).trim() : undefined);
  const givenName = text('givenName');
  const familyName = text('familyName');
  const email = text('email');
  const identifier = text('identifier') ?? (id && /^https?:\/\//.test(id) ? id : undefined);
  const name = text('name') ?? ([givenName, familyName].filter(Boolean).join(' ') || email || id);
  if (!name) return undefined;
  return { name, givenName, familyName, email, identifier };
}

/**
 * Markup, not a declaration, decides: eLabFTW and AI4Green declare `text/html` for plain
 * sentences, PASTA `text/markdown` for everything. Text without a tag is escaped into
 * paragraphs; markdown is not rendered, only kept readable.
 */
export function looksLikeHtml(text: string): boolean {
  return htmlTag.test(text);
}

// HTML's own elements only: `a <sample> of` in plain text is not markup.
const htmlTag = /<\/?(p|div|span|br|hr|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|a|img|strong|b|em|i|u|s|sub|sup|pre|code|blockquote|figure|figcaption|mark|font|section)(\s[^<>]*)?\/?>/i;

/** A `text` or `description` as field HTML. */
export function asHtml(text: string): string {
  if (looksLikeHtml(text)) return text;
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((para) => para.trim())
    .filter(Boolean)
    .map((para) => `<p>${escapeHtml(para).replace(/\r?\n/g, '<br>')}</p>`)
    .join('\n');
}

/** A string property, or the `text` of the entity it refers to (Kadi4Mat's descriptions are TextObjects). */
export function textOf(value: unknown, graph: CrateGraph): string | undefined {
  if (typeof value === 'string') return value.trim() ? value : undefined;
  const node = refs(value).map((id) => graph.get(id))[0];
  return node && typeof node.text === 'string' && node.text.trim() ? node.text : undefined;
}

/** How a metadata value reads in a table cell: a referenced entity by its name, a PropertyValue as `value unit`. */
export function describeValue(value: unknown, graph: CrateGraph): string {
  if (Array.isArray(value)) return value.map((v) => describeValue(v, graph)).join(', ');
  if (!isObject(value)) return String(value);
  const id = typeof value['@id'] === 'string' ? value['@id'] : undefined;
  const node = (id && graph.get(id)) || value;
  if (types(node).includes('PropertyValue')) return [node.value, node.unitText].filter((v) => v !== undefined && v !== '').map(String).join(' ');
  if (typeof node.name === 'string') return node.name;
  // eLabFTW's steps: a HowToStep whose direction holds the text.
  if (typeof node.text === 'string') return node.text;
  if (node.itemListElement !== undefined) return describeValue(node.itemListElement, graph);
  return id ?? JSON.stringify(value);
}

/** A row per metadata item, `variableMeasured` PropertyValues under their own names. */
export function metadataRows(entity: Entity, properties: string[], graph: CrateGraph): [string, string][] {
  const rows: [string, string][] = [];
  for (const property of properties) {
    const value = entity[property];
    if (property !== 'variableMeasured') {
      rows.push([property, describeValue(value, graph)]);
      continue;
    }
    for (const item of Array.isArray(value) ? value : [value]) {
      const id = isObject(item) && typeof item['@id'] === 'string' ? item['@id'] : undefined;
      const node = (id && graph.get(id)) || (isObject(item) ? item : undefined);
      const name = node && (node.name ?? node.propertyID);
      rows.push([typeof name === 'string' ? name : property, describeValue(node ?? item, graph)]);
    }
  }
  return rows;
}

export function metadataTable(rows: [string, string][]): string {
  const body = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<table><tbody>${body}</tbody></table>`;
}

const byExtension: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', tif: 'image/tiff', tiff: 'image/tiff',
  svg: 'image/svg+xml', pdf: 'application/pdf', json: 'application/json', xml: 'application/xml', xsd: 'application/xml',
  csv: 'text/csv', txt: 'text/plain', md: 'text/markdown', html: 'text/html', py: 'text/x-python', zip: 'application/zip',
};

/**
 * `encodingFormat` when it is a media type that says something; else by extension; else plain
 * bytes. A declared type of another kind than a well-known extension's gives way to it: PASTA
 * declares `text/markdown` for its PNGs and TIFFs (the format of its descriptions, not of the file).
 */
export function contentTypeOf(encodingFormat: unknown, name: string): string {
  const known = name.includes('.') ? byExtension[name.slice(name.lastIndexOf('.') + 1).toLowerCase()] : undefined;
  if (typeof encodingFormat === 'string' && encodingFormat !== 'application/octet-stream' && /^[\w.+-]+\/[\w.+-]+$/.test(encodingFormat)) {
    if (!known || known.split('/')[0] === encodingFormat.split('/')[0]) return encodingFormat;
  }
  return known ?? 'application/octet-stream';
}

/** `contentSize`, which most exporters write as a string. */
export function sizeOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
