import fc from 'fast-check';

/**
 * Bad input for the fuzz suite (test/fuzz.test.ts): each arbitrary mixes values a careless
 * client sends (wrong types, stray spaces, floats for ids) with what a hostile one sends (NUL,
 * lone surrogates, bidi controls, numbers past every limit, malformed JSON and multipart).
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
}

/** Numbers as text that Number() reads but that are not decimal digits, and ones past every limit. */
export const badNumberText = fc.constantFrom(
  'Infinity', '-Infinity', 'NaN', '1e999', '-1e999', '0x10', '0b11', '0o7', '+5', '3.8e1', '38.0', ' 38', '38 ', '\t38',
  '-1', '0', '-0', '1e2', '9'.repeat(400), '99999999999999999999', '2147483648', '9007199254740993', '007', '',
  '\u0661\u0662', '\uff11\uff12', '5\u0000', 'null', 'true', '[]', '{}', '1,2', '1;2', '%31',
);

const nastyText = fc.constantFrom(
  '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\u202egnp.exe', '\u200b', '\ufeff', '\u0085', '\r\n', '\u001b[31m',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '../../etc/passwd', '..\\..\\boot.ini', 'CON', 'NUL.txt',
  '%00', '%E0%A4%A', '%', '\u{1F600}'.repeat(50), 'a'.repeat(600), 'é'.repeat(3000), ' ', '', '\\', "'; drop table users; --",
  '${7*7}', '{{7*7}}', '<docId=1>', '<fileId=1>', '<fileId=99999999999999999999>', '<docId=-1>',
);

/** Text of every kind: short unicode, NUL and controls, the nasty list, and the occasional long string. */
export const anyText = fc.oneof(
  { weight: 3, arbitrary: nastyText },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: badNumberText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 2000, maxLength: 20_000 }) },
);

/** Any JSON value, a little deeper and odder than fc.jsonValue alone. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  anyText,
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.5, 1e-300),
);

/** A value for `schema`: often of the right type but a bad value, often of another type altogether. */
export function valueFor(schema: JsonSchema, ids: fc.Arbitrary<number>, depth = 0): fc.Arbitrary<unknown> {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const wrong = depth > 3 ? anyText : anyJson;
  let right: fc.Arbitrary<unknown>;
  if (schema.anyOf?.length) right = fc.oneof(...schema.anyOf.map((s) => valueFor(s, ids, depth + 1)));
  else if (schema.enum || schema.const !== undefined) right = fc.constantFrom(...(schema.enum ?? [schema.const]));
  else if (type === 'integer' || type === 'number') {
    right = fc.oneof(ids, fc.integer(), fc.double(), badNumberText, ids.map(String), fc.constantFrom(Infinity, 2 ** 31, 2 ** 53 + 2, -1, 0));
  } else if (type === 'boolean') right = fc.oneof(fc.boolean(), fc.constantFrom('true', 'False', 'yes', 1, 0, 'null'));
  else if (type === 'string') right = anyText;
  else if (type === 'array') right = fc.array(valueFor(schema.items ?? {}, ids, depth + 1), { maxLength: depth ? 3 : 25 });
  else if (type === 'object') right = objectFor(schema, ids, depth);
  else right = anyJson;
  return fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

function objectFor(schema: JsonSchema, ids: fc.Arbitrary<number>, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.entries(schema.properties ?? {});
  const known = fc.record(Object.fromEntries(properties.map(([name, s]) => [name, valueFor(s, ids, depth + 1)])), { requiredKeys: [] });
  const extra = fc.dictionary(fc.oneof(anyText, fc.constantFrom('__proto__', 'constructor', 'prototype')), anyJson, { maxKeys: 2 });
  return fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...k }));
}

/** A body and the content type it is sent with; `null` body sends none. */
export interface BodyCase {
  contentType: string | null;
  body: string | Buffer | null;
}

const malformedJson = fc.constantFrom(
  '{', '}', '{"name":}', '{"name":"x",}', "{'name':'x'}", 'nul', 'undefined', '{"name":"x"}}', '\u0000', '[', '"',
  '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '\ufeff{"name":"x"}', '{"name":"\\ud800"}',
  '{"name":"\\u0000"}', '{"parentFolderId":1e999}', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}', '['.repeat(100_000),
  '{"fields":[' + '{"content":"x"},'.repeat(3000) + '{}]}', '1e999', '-', '{"name":"x" "tags":"y"}',
);

const contentTypes = fc.constantFrom(
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/xml',
  'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=', 'application/octet-stream',
  'application/vnd.api+json', '*/*', 'application/json;', 'json', 'APPLICATION/JSON',
);

function multipart(): fc.Arbitrary<BodyCase> {
  const part = fc.record({
    name: fc.oneof(fc.constantFrom('file', 'caption', 'folderId'), anyText),
    fileName: fc.option(fc.oneof(fc.constantFrom('a.txt', 'plate.png', ''), anyText), { nil: undefined }),
    type: fc.option(fc.constantFrom('text/plain', 'image/png', '', 'a/b/c', 'text/html\u0000'), { nil: undefined }),
    value: fc.oneof(anyText, badNumberText, fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a).toString('latin1'))),
  });
  return fc
    .record({
      parts: fc.array(part, { maxLength: 4 }),
      boundary: fc.constantFrom('elnportFuzz', 'x', '', '"quoted"', 'a'.repeat(200)),
      declared: fc.constantFrom('same', 'other', 'none'),
      cut: fc.option(fc.nat(), { nil: undefined }),
      close: fc.boolean(),
    })
    .map(({ parts, boundary, declared, cut, close }) => {
      const chunks = parts.map((p) => {
        const disposition = `form-data; name="${p.name}"${p.fileName === undefined ? '' : `; filename="${p.fileName}"`}`;
        const type = p.type === undefined ? '' : `Content-Type: ${p.type}\r\n`;
        return `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n${p.value}\r\n`;
      });
      let text = chunks.join('') + (close ? `--${boundary}--\r\n` : '');
      if (cut !== undefined && text.length) text = text.slice(0, cut % text.length);
      const contentType = declared === 'none' ? 'multipart/form-data' : `multipart/form-data; boundary=${declared === 'same' ? boundary : 'other'}`;
      return { contentType, body: Buffer.from(text, 'latin1') };
    });
}

/** Bodies for any route: from its schema when it has one, and every kind of broken one. */
export function bodyFor(schema: JsonSchema | undefined, ids: fc.Arbitrary<number>): fc.Arbitrary<BodyCase> {
  const json = (value: fc.Arbitrary<unknown>) => value.map((v): BodyCase => ({ contentType: 'application/json', body: JSON.stringify(v) ?? 'null' }));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant<BodyCase>({ contentType: null, body: null }) },
    { weight: schema ? 6 : 1, arbitrary: json(schema ? valueFor(schema, ids) : anyJson) },
    { weight: 2, arbitrary: malformedJson.map((body): BodyCase => ({ contentType: 'application/json', body })) },
    { weight: 2, arbitrary: fc.record({ contentType: contentTypes, body: fc.oneof(anyText, malformedJson, anyJson.map((v) => JSON.stringify(v) ?? '')) }) },
    { weight: 2, arbitrary: multipart() },
    { weight: 1, arbitrary: fc.constant<BodyCase>({ contentType: 'application/json', body: '' }) },
  );
}
