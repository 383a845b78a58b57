import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidField, typeMismatch } from '../domain/errors.js';

/**
 * What every request's input must look like before a schema or a route sees it (issue 7):
 *
 * - No NUL character in any text. PostgreSQL cannot store one in a text column (error 22021, a
 *   500), and no name, tag or field a person writes holds one; refusing it here, for both
 *   databases alike, beats stripping it somewhere in every query. An upload's parts are read by
 *   its route, after this hook: src/content/files.ts strips control characters from their names.
 * - An integer sent as text is decimal digits. ajv's type coercion reads a string with Number(),
 *   which takes `0x10`, `+5`, `3.8e1`, `38.0`, ` 38` and `Infinity` (then skips the bounds for
 *   the last), so `PUT /sysadmin/users/0x10/disable` disabled user 16. Decimal digits, with a
 *   minus sign at most, are the whole syntax; a negative number then fails the schema's minimum
 *   as any value out of range does.
 */

interface SchemaNode {
  type?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

const decimal = /^-?\d+$/;

function pathOf(path: string, key: string | number): string {
  return path ? `${path}.${key}` : String(key);
}

/**
 * Throws 400 for the first NUL in `value`'s strings or object keys. A JSON body may nest deeply,
 * so the walk keeps its own stack rather than recursing.
 */
function refuseNul(value: unknown, objectName: string, path = ''): void {
  const pending: [unknown, string][] = [[value, path]];
  while (pending.length) {
    const [v, at] = pending.pop()!;
    if (typeof v === 'string') {
      const field = at || objectName;
      if (v.includes('\u0000')) throw invalidField(field, null, `${field} must not contain NUL characters`, objectName);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => pending.push([item, pathOf(at, i)]));
    } else if (v && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes('\u0000')) throw invalidField(pathOf(at, key), null, `Field names must not contain NUL characters`, objectName);
        pending.push([item, pathOf(at, key)]);
      }
    }
  }
}

/**
 * Throws 400 for an integer of `schema` that `value` writes as text other than decimal digits:
 * a type mismatch in a path or query, an invalid field in a body, as errors.ts has it for the
 * type errors ajv reports.
 */
function refuseNonCanonicalIntegers(schema: SchemaNode | undefined, value: unknown, objectName: string, path = ''): void {
  if (!schema || value === undefined || value === null) return;
  if (schema.type === 'integer' && typeof value === 'string') {
    // Past about 309 digits Number() gives Infinity, which ajv then takes for a valid integer.
    if (decimal.test(value) && Number.isFinite(Number(value))) return;
    const expected = 'a whole number in decimal digits';
    if (objectName !== 'body') throw typeMismatch(path, value, expected);
    throw invalidField(path, value, `${path} must be ${expected}, got "${value}"`, objectName);
  } else if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, property] of Object.entries(schema.properties)) {
      refuseNonCanonicalIntegers(property, (value as Record<string, unknown>)[key], objectName, pathOf(path, key));
    }
  } else if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => refuseNonCanonicalIntegers(schema.items, item, objectName, pathOf(path, i)));
  }
}

function checkRequest(request: FastifyRequest): void {
  const schema = request.routeOptions.schema as Record<string, SchemaNode | undefined> | undefined;
  const parts = [
    ['params', request.params, schema?.params],
    ['querystring', request.query, schema?.querystring],
    ['body', request.body, schema?.body],
  ] as const;
  for (const [objectName, value] of parts) refuseNul(value, objectName);
  for (const [objectName, value, partSchema] of parts) refuseNonCanonicalIntegers(partSchema, value, objectName);
}

/** Runs after the body is parsed and before the schemas coerce and check it. */
export function registerCanonicalInput(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => checkRequest(request));
}
