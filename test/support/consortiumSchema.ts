import fs from 'node:fs';
import path from 'node:path';
// Named import: under NodeNext TypeScript takes the default import of these CommonJS modules for
// the whole `module.exports` object, which it then refuses to construct or call.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

const schemaFile = path.resolve('../shared/fixtures/eln/consortium-schema.json');

let validate: ValidateFunction | undefined;

/** Compiled on first use and kept for the process: every .eln a test writes goes through it. */
function validator(): ValidateFunction {
  if (validate) return validate;
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  // The schema declares draft-07, which Ajv2020 has no meta-schema for and refuses; issue 11 asks for a
  // 2020-12 validator, and the schema uses nothing whose meaning differs between the two drafts.
  delete schema.$schema;
  // Its `type` lists (["string", "array"]) are union types, which strict mode would log about.
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
  formats.default(ajv);
  validate = ajv.compile(schema);
  return validate;
}

/** Each way `metadata` (a parsed ro-crate-metadata.json) breaks the consortium's JSON Schema: "instancePath message". */
export function consortiumSchemaErrors(metadata: unknown): string[] {
  const check = validator();
  if (check(metadata)) return [];
  return (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
