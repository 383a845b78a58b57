import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { contentCounts } from './support/counts.js';
import { anyText, badNumberText, bodyFor, type BodyCase, type JsonSchema } from './support/fuzzInput.js';
import { forEachDatabase, isoDate, sysadminKey, useLab, type Account } from './support/lab.js';

/**
 * The standing check of issue 7: every route of the OpenAPI document, sent generated bad input
 * over real HTTP. Whatever comes in, the server answers below 500, every error is in the
 * contract's shape, the server stays up, and a refused request changes nothing it stores.
 * A fixed seed keeps CI repeatable; FUZZ_RUNS=N (and FUZZ_SEED) run longer or elsewhere.
 */
const runs = Number(process.env.FUZZ_RUNS || 2500);
const seed = Number(process.env.FUZZ_SEED || 20261126);

const errorKeys = 'data,errors,httpCode,internalCode,iso8601Timestamp,message,messageCode,status';

interface Operation {
  method: string;
  /** With `{name}` placeholders, under /api/v1. */
  path: string;
  query: { name: string; schema: JsonSchema }[];
  body: JsonSchema | undefined;
}

interface Case {
  method: string;
  path: string;
  key: string;
  headers: Record<string, string>;
  body: BodyCase;
}

/** Text as a URL component; a lone surrogate, which encodeURIComponent refuses, as its UTF-8 bytes. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return Buffer.from(text).toString('hex').replace(/../g, '%$&');
  }
}

const rawPathValues = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AE', '%00', '%2F', '..', '%2e%2e', '1'.repeat(150), 'a%20b', ';', '%3B');

function pathValue(name: string, ids: fc.Arbitrary<number>): fc.Arbitrary<string> {
  const known: Record<string, fc.Arbitrary<string>> = {
    format: fc.constantFrom('html', 'xml', 'eln', 'HTML', 'pdf'),
    scope: fc.constantFrom('user', 'group', 'selection', 'USER', 'all'),
    name: fc.constantFrom('RSpace-2026-11-26-05-00-html-alice-Xy3k9Q.zip', 'missing', 'a.eln', 'x.tar'),
  };
  return fc.oneof(
    { weight: 4, arbitrary: known[name] ?? ids.map(String) },
    { weight: 3, arbitrary: badNumberText.map(encode) },
    { weight: 2, arbitrary: anyText.map(encode) },
    { weight: 1, arbitrary: rawPathValues },
  );
}

function queryValue(name: string, schema: JsonSchema, ids: fc.Arbitrary<number>): fc.Arbitrary<string | string[]> {
  const known: Record<string, fc.Arbitrary<string>> = {
    selections: fc.oneof(fc.array(ids, { minLength: 1, maxLength: 5 }).map((a) => a.join(',')), fc.constantFrom('SD1,FL2', ',,', ' ', 'x'.repeat(5000))),
    maxLinkLevel: fc.oneof(fc.nat({ max: 200 }).map(String), badNumberText),
    modifiedSince: fc.constantFrom('2026-11-26', '2026-11-26T05:00:00.000Z', '2026-02-30', '+275760-09-13', '1970', 'yesterday', '9999-99-99'),
    includeRevisionHistory: fc.constantFrom('true', 'True', 'FALSE', 'yes', '1', ''),
    orderBy: fc.constantFrom('name', 'created desc', 'lastModified asc', 'name  asc', 'id; drop table records'),
    typesToInclude: fc.constantFrom('document', 'notebook,folder', 'media', 'DOCUMENT', 'x', ','),
  };
  const integer = schema.type === 'integer' ? fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), badNumberText) : anyText;
  const one = fc.oneof({ weight: 3, arbitrary: known[name] ?? integer }, { weight: 2, arbitrary: anyText }, { weight: 1, arbitrary: badNumberText });
  return fc.oneof({ weight: 5, arbitrary: one }, { weight: 1, arbitrary: fc.array(one, { minLength: 2, maxLength: 3 }) });
}

function queryString(params: [string, string | string[]][], raw: boolean): string {
  const pairs = params.flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encode(k)}=${raw ? one.replace(/[#&\s]/g, '') : encode(one)}`));
  return pairs.length ? `?${pairs.join('&')}` : '';
}

function caseFor(op: Operation, ids: fc.Arbitrary<number>, keys: fc.Arbitrary<string>): fc.Arbitrary<Case> {
  const names = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const known = op.query.map((q) => fc.option(queryValue(q.name, q.schema, ids).map((v) => [q.name, v] as [string, string | string[]]), { nil: undefined }));
  const extra = fc.array(fc.tuple(fc.oneof(anyText, fc.constantFrom('pageSize', 'selections', 'id', '__proto__')), anyText), { maxLength: 2 });
  return fc
    .record({
      values: fc.tuple(...names.map((n) => pathValue(n, ids))),
      query: fc.tuple(fc.tuple(...known), extra, fc.boolean()),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(op.method) },
        { weight: 1, arbitrary: fc.constantFrom('PATCH', 'OPTIONS', 'PUT', 'DELETE', 'POST', 'HEAD') },
      ),
      key: keys,
      accept: fc.constantFrom('application/json', '*/*', 'text/html', 'application/zip', ''),
      body: bodyFor(op.body, ids),
    })
    .map(({ values, query: [knownParams, extraParams, raw], method, key, accept, body }) => {
      let path = op.path;
      names.forEach((n, i) => (path = path.replace(`{${n}}`, values[i]!)));
      const params = [...knownParams.filter((p) => p !== undefined), ...extraParams];
      const headers: Record<string, string> = accept ? { accept } : {};
      return { method, path: path + queryString(params, raw), key, headers, body };
    });
}

async function operations(url: string): Promise<Operation[]> {
  interface OpenApiOperation {
    parameters?: { in: string; name: string; schema: JsonSchema }[];
    requestBody?: { content: Record<string, { schema: JsonSchema }> };
  }
  const document = (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, OpenApiOperation>> };
  return Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query'),
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
}

/** Why an answer breaks the contract, or null when it keeps it. */
function contractBreach(status: number, method: string, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (status < 400 || method === 'HEAD') return null;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return 'error body is not JSON';
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'error body is not an object';
  if (Object.keys(body).sort().join(',') !== errorKeys) return `error keys ${Object.keys(body).sort().join(',')}`;
  if (body.httpCode !== status) return `httpCode ${body.httpCode}`;
  if (!Number.isInteger(body.internalCode) || Math.floor(body.internalCode / 100) !== status) return `internalCode ${body.internalCode}`;
  if (typeof body.status !== 'string' || !/^[A-Z_]+$/.test(body.status) || body.status === 'INTERNAL_SERVER_ERROR') return `status name ${body.status}`;
  if (typeof body.message !== 'string' || !body.message) return 'message';
  if (body.messageCode !== null) return 'messageCode';
  if (!Array.isArray(body.errors) || !body.errors.length || !body.errors.every((e: unknown) => typeof e === 'string')) return 'errors';
  if (!isoDate.test(body.iso8601Timestamp)) return 'iso8601Timestamp';
  if (body.data !== null && (typeof body.data !== 'object' || Array.isArray(body.data))) return 'data';
  if (/\n\s+at /.test(text)) return 'stack trace in the body';
  return null;
}

forEachDatabase((kind) => {
  describe('fuzzing every route of the OpenAPI document', () => {
    // No workers: an export a case starts stays queued, instead of building archives on a CPU
    // the fuzz needs; the rate limit is out of the way so each case reaches its route.
    const lab = useLab(kind, { ELNPORT_WORKERS: '0', ELNPORT_RATE_LIMIT: '10000000' });
    let alice: Account;
    let bob: Account;
    let ids: number[];

    before(async () => {
      alice = await lab().createUser('alice', 'ROLE_PI');
      bob = await lab().createUser('bob');
      const group = await lab().createGroup('Alice lab', [
        { username: 'alice', roleInGroup: 'PI' },
        { username: 'bob', roleInGroup: 'DEFAULT' },
      ]);
      const folder = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Projects' } });
      const notebook = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Notebook', notebook: true } });
      const form = new FormData();
      form.append('file', new Blob(['plate reads']), 'plate.txt');
      const file = (await (await fetch(`${lab().url}/api/v1/files`, { method: 'POST', headers: { apiKey: alice.key }, body: form })).json()) as { id: number };
      const document = await lab().call('POST', '/documents', {
        key: alice.key,
        body: { name: 'Plate reads', tags: 'a,b', parentFolderId: folder.body.id, fields: [{ content: `<p>Data <fileId=${file.id}></p>` }] },
      });
      const job = await lab().call('POST', '/export/html/user', { key: bob.key });
      assert.equal(job.status, 202, job.text);
      ids = [folder.body.id, notebook.body.id, file.id, document.body.id, group.id, job.body.id, bob.id, bob.homeFolderId];
    });

    it(`answers ${runs} generated bad requests within the contract, and a refused one changes nothing`, { timeout: 600_000 }, async (t) => {
      const ops = await operations(lab().url);
      const idArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }) });
      const keyArb = fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(alice.key, `Bearer ${alice.key}`) },
        { weight: 4, arbitrary: fc.constant(sysadminKey) },
        { weight: 1, arbitrary: fc.constant(bob.key) },
        { weight: 1, arbitrary: fc.constantFrom('', 'short', 'x'.repeat(64), 'key\u00e9with\u00e9latin1') },
      );
      const cases = fc.constantFrom(...ops).chain((op) => caseFor(op, idArb, keyArb));
      const tally = { cases: 0, refused: 0, accepted: 0 };
      const statuses = new Map<number, number>();
      let counts = await contentCounts(lab());

      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          tally.cases += 1;
          const headers: Record<string, string> = { ...c.headers };
          if (c.key.startsWith('Bearer ')) headers.authorization = c.key;
          else if (c.key) headers.apiKey = c.key;
          const canHaveBody = c.method !== 'GET' && c.method !== 'HEAD';
          if (canHaveBody && c.body.contentType) headers['content-type'] = c.body.contentType;
          const request = `${c.method} ${c.path}`;
          const response = await fetch(`${lab().url}${c.path}`, {
            method: c.method,
            headers,
            body: canHaveBody && c.body.body !== null ? new Uint8Array(Buffer.from(c.body.body)) : undefined,
            // A server that stops answering fails the case rather than hanging the suite.
            signal: AbortSignal.timeout(60_000),
          });
          const text = await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const breach = contractBreach(response.status, c.method, text);
          assert.equal(breach, null, `${request} → ${response.status}: ${breach}\n${text.slice(0, 500)}`);
          const status = await fetch(`${lab().url}/api/v1/status`);
          assert.equal(status.status, 200, `the server stopped answering after ${request}`);
          await status.text();
          const now = await contentCounts(lab());
          if (response.status >= 400) {
            tally.refused += 1;
            assert.deepEqual(now, counts, `${request} was refused with ${response.status} but changed what is stored`);
          } else {
            tally.accepted += 1;
            // An accepted request may disable a user the next cases act as: enable them again.
            if (/\/disable$/.test(c.path.split('?')[0]!)) {
              for (const who of [alice, bob]) await lab().call('PUT', `/sysadmin/users/${who.id}/enable`);
            }
          }
          counts = now;
        }),
        { seed, numRuns: runs, endOnFailure: true },
      );
      const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([code, n]) => `${code}×${n}`).join(' ');
      t.diagnostic(
        `fuzz on ${kind}: ${tally.cases} cases (seed ${seed}), ${tally.refused} refused and ${tally.accepted} accepted, ` +
          `all within the contract: ${byStatus}`,
      );
    });
  });
});
