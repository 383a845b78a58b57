import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser } from 'htmlparser2';
import { sysadminKey, useLab } from './support/lab.js';
import { rawRequest } from './support/rawHttp.js';

const packageJson = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { license: string };
const redocly = path.resolve('node_modules/.bin/redocly');
const methods = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options', 'trace'];

interface Operation {
  method: string;
  path: string;
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: { required?: string[] } }> }>;
}

function operationsOf(document: any): Operation[] {
  return Object.entries<Record<string, any>>(document.paths).flatMap(([p, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.includes(method))
      .map(([method, op]) => ({ ...op, method: method.toUpperCase(), path: p })),
  );
}

/** An empty requirement in an operation's security (or the document's) lets it be called without a key. */
function needsKey(document: any, op: Operation): boolean {
  return !(op.security ?? document.security ?? []).some((requirement: object) => Object.keys(requirement).length === 0);
}

/** The src and href of every element of an HTML page. */
function references(html: string): string[] {
  const found: string[] = [];
  const parser = new Parser({
    onopentag(_name, attributes) {
      for (const name of ['src', 'href']) if (attributes[name] !== undefined) found.push(attributes[name]);
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

describe('the OpenAPI document and its page', () => {
  const lab = useLab('sqlite');
  let document: any;
  let operations: Operation[];
  let tmp: string;

  before(async () => {
    const r = await fetch(`${lab().url}/api/v1/openapi.json`);
    assert.equal(r.status, 200);
    document = await r.json();
    operations = operationsOf(document);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elnport-openapi-'));
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is valid OpenAPI, by @apidevtools/swagger-parser', async () => {
    // validate() dereferences the object it is given in place.
    await SwaggerParser.validate(structuredClone(document));
  });

  it('passes `redocly lint` with every recommended rule as an error', async () => {
    const file = path.join(tmp, 'openapi.json');
    const config = path.join(tmp, 'redocly.yaml');
    fs.writeFileSync(file, JSON.stringify(document));
    // recommended-strict is the recommended ruleset with its warnings made errors: lint-clean means no warning either.
    fs.writeFileSync(config, 'extends:\n  - recommended-strict\n');
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const result = await promisify(execFile)(redocly, ['lint', file, '--config', config], { cwd: tmp, env }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => error,
    );
    const exitCode = 'code' in result ? result.code : 0;
    assert.equal(exitCode, 0, `redocly lint failed:\n${result.stdout}\n${result.stderr}`);
  });

  it('names every operation with a unique camelCase operationId', () => {
    assert.ok(operations.length >= 25, `only ${operations.length} operations`);
    const ids = operations.map((op) => op.operationId);
    const unnamed = operations.filter((op) => !op.operationId || !/^[a-z][A-Za-z]*$/.test(op.operationId));
    assert.deepEqual(unnamed.map((op) => `${op.method} ${op.path}: ${op.operationId}`), []);
    assert.equal(new Set(ids).size, ids.length, `repeated: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
  });

  it('tags every operation with a declared tag', () => {
    const declared = new Set((document.tags as { name: string }[]).map((t) => t.name));
    const untagged = operations.filter((op) => !op.tags?.length || !op.tags.every((t) => declared.has(t)));
    assert.deepEqual(untagged.map((op) => `${op.method} ${op.path}: ${op.tags}`), []);
  });

  it('lists 401 on every operation that needs a key, and gives every error the one error body', () => {
    const keyed = operations.filter((op) => needsKey(document, op));
    assert.ok(keyed.length >= 25, `only ${keyed.length} operations need a key`);
    assert.deepEqual(keyed.filter((op) => !op.responses['401']).map((op) => `${op.method} ${op.path}`), []);
    const errorShape = ['status', 'httpCode', 'internalCode', 'message', 'messageCode', 'errors', 'iso8601Timestamp', 'data'].sort();
    const misshapen = operations.flatMap((op) =>
      Object.entries(op.responses)
        .filter(([code]) => Number(code) >= 400)
        .filter(([, response]) => {
          const required = response.content?.['application/json']?.schema.required;
          return !required || [...required].sort().join() !== errorShape.join();
        })
        .map(([code]) => `${op.method} ${op.path} ${code}`),
    );
    assert.deepEqual(misshapen, []);
  });

  it('says truly which operations need a key: without one, those answer 401 and only those', async () => {
    const wrong: string[] = [];
    for (const op of operations) {
      const url = `${lab().url}${op.path.replace(/\{[^}]+\}/g, '1')}`;
      const r = await fetch(url, { method: op.method });
      await r.arrayBuffer();
      if ((r.status === 401) !== needsKey(document, op)) wrong.push(`${op.method} ${op.path}: ${r.status}`);
    }
    assert.deepEqual(wrong, []);
  });

  it("compiles each operation's schemas when it is first called: none answers a sysadmin with 500", async () => {
    const failed: string[] = [];
    for (const op of operations) {
      const r = await fetch(`${lab().url}${op.path.replace(/\{[^}]+\}/g, '1')}`, { method: op.method, headers: { apiKey: sysadminKey } });
      await r.arrayBuffer();
      // A 401 would mean the call stopped before its schemas: the sweep has disabled its own key.
      if (r.status >= 500 || r.status === 401) failed.push(`${op.method} ${op.path}: ${r.status}`);
    }
    assert.deepEqual(failed, []);
  });

  it('includes HEAD /export/{name}, with the refusals of a download', () => {
    const head = document.paths['/api/v1/export/{name}']?.head as Operation | undefined;
    assert.ok(head, 'no HEAD /api/v1/export/{name}');
    assert.equal(head.operationId, 'headExport');
    for (const code of ['200', '206', '401', '404', '410', '416', '422']) assert.ok(head.responses[code], `HEAD lists no ${code}`);
  });

  it('carries a license from package.json, and a relative server when no public URL is configured', () => {
    assert.equal(document.info.license?.name, packageJson.license);
    assert.ok(document.info.license.url);
    assert.deepEqual(document.servers, [{ url: '/' }]);
  });

  it('is browsable at /api/v1/docs without a key: local assets only, under a strict CSP', async () => {
    let page = new URL('/api/v1/docs', lab().url);
    let r = await fetch(page, { redirect: 'manual' });
    for (let hops = 0; r.status >= 300 && r.status < 400 && hops < 3; hops += 1) {
      page = new URL(r.headers.get('location')!, page);
      r = await fetch(page, { redirect: 'manual' });
    }
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-|https:|\*/);
    const refs = references(await r.text());
    assert.ok(refs.some((ref) => ref.endsWith('.js')) && refs.some((ref) => ref.endsWith('.css')), `references: ${refs.join(', ')}`);
    const elsewhere = refs.filter((ref) => new URL(ref, page).origin !== page.origin);
    assert.deepEqual(elsewhere, []);
    // The page's script fetches the document from ./json beside it.
    for (const ref of [...refs, 'json']) {
      const asset = await fetch(new URL(ref, page.href.endsWith('/') ? page : `${page.href}/`));
      const body = await asset.text();
      assert.equal(asset.status, 200, `${ref}: ${asset.status}`);
      assert.ok(asset.headers.get('content-security-policy'), `${ref} has no CSP`);
      if (ref === 'json') assert.deepEqual(JSON.parse(body), document);
    }
  });

  it('answers HEAD, and a request to revalidate, for the page and its assets as for a GET', async () => {
    for (const path of ['/api/v1/docs/', '/api/v1/docs/static/swagger-ui.css', '/api/v1/docs/json']) {
      const get = await fetch(`${lab().url}${path}`);
      const body = Buffer.from(await get.arrayBuffer());
      const head = await fetch(`${lab().url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200, path);
      assert.equal((await head.arrayBuffer()).byteLength, 0, path);
      assert.equal(head.headers.get('content-length'), String(body.length), path);
      assert.equal(head.headers.get('content-type'), get.headers.get('content-type'), path);
      assert.equal(head.headers.get('content-security-policy'), get.headers.get('content-security-policy'), path);
    }
    const css = '/api/v1/docs/static/swagger-ui.css';
    const etag = (await fetch(`${lab().url}${css}`)).headers.get('etag');
    assert.ok(etag, 'no ETag on an asset');
    // fetch would add Cache-Control: no-cache to a conditional request, which asks for the whole body.
    const unchanged = await rawRequest(lab().url, `GET ${css} HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`);
    assert.equal(unchanged.status, 304, unchanged.raw.slice(0, 300));
    assert.equal(unchanged.text, '');
  });

  describe('with a public URL configured', () => {
    const publicLab = useLab('sqlite', { ELNPORT_PUBLIC_URL: 'https://eln.lab.test/' });

    it('names it as the server, and lets the page call it', async () => {
      const served = await (await fetch(`${publicLab().url}/api/v1/openapi.json`)).json();
      assert.deepEqual(served.servers, [{ url: 'https://eln.lab.test' }]);
      const r = await fetch(`${publicLab().url}/api/v1/docs/`);
      await r.arrayBuffer();
      assert.match(r.headers.get('content-security-policy') ?? '', /connect-src 'self' https:\/\/eln\.lab\.test;/);
    });
  });
});
