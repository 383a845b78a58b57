/**
 * User text (names, captions, field HTML) goes into XML verbatim, so it can hold anything a
 * browser accepted. XML 1.0 cannot carry some characters even as references; those are dropped
 * rather than letting one stray control character make the whole file unreadable.
 */

// Everything outside XML 1.0's Char production. With the `u` flag a valid surrogate pair is one
// code point inside the allowed astral range, so only lone surrogates match.
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const textEntities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  // A parser turns a raw CR (or CRLF) into LF; the reference keeps the text as it was.
  '\r': '&#13;',
};

// A parser turns raw tabs and line breaks in attribute values into spaces.
const attributeEntities: Record<string, string> = { ...textEntities, '\t': '&#9;', '\n': '&#10;' };

export function stripNonXmlChars(value: string): string {
  return value.replace(notXmlChar, '');
}

export function escapeXmlText(value: string): string {
  return stripNonXmlChars(value).replace(/[&<>"\r]/g, (c) => textEntities[c]!);
}

export function escapeXmlAttribute(value: string): string {
  return stripNonXmlChars(value).replace(/[&<>"\r\t\n]/g, (c) => attributeEntities[c]!);
}
