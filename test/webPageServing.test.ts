import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { pageSecurityPolicy, registerWebPage } from '../src/api/webPage.js';
import { useLab } from './support/lab.js';
import { tempDir } from './support/tempDirs.js';
import { ensurePageBuilt, pageAssets } from './support/webPage.js';

/** How `/` and its assets are served: headers, caching, and nothing else changed. */

function assertSecured(response: Response, what: string): void {
  assert.equal(response.headers.get('content-security-policy'), pageSecurityPolicy, what);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer', what);
}

describe('the exports page, as served', () => {
  const lab = useLab('sqlite');
  before(ensurePageBuilt);

  it('is at / with a strict CSP, never cached, and runs no inline script', async () => {
    const response = await fetch(`${lab().url}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assertSecured(response, '/');
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(pageSecurityPolicy.includes(directive), directive);
    }
    assert.doesNotMatch(pageSecurityPolicy, /unsafe-inline|unsafe-eval/);
    const html = await response.text();
    for (const tag of html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) {
      assert.match(tag, /^<script\b[^>]*\bsrc="\/assets\/[^"]+"[^>]*><\/script>$/, `an inline or outside script: ${tag}`);
    }
    assert.doesNotMatch(html, /\sstyle=|<style\b|https?:\/\//, 'inline style or an outside address');
  });

  it('serves its hashed assets for a year, with the same headers', async () => {
    const assets = pageAssets(await (await fetch(`${lab().url}/`)).text());
    assert.deepEqual(assets.map((a) => a.replace(/-[\w-]{8}\./, '-HASH.')).sort(), ['/assets/index-HASH.css', '/assets/index-HASH.js']);
    for (const asset of assets) {
      const response = await fetch(`${lab().url}${asset}`);
      assert.equal(response.status, 200, asset);
      assert.equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', asset);
      assert.match(response.headers.get('content-type') ?? '', asset.endsWith('.js') ? /^text\/javascript|^application\/javascript/ : /^text\/css/, asset);
      assertSecured(response, asset);
      // Namespaces and the webhook field's placeholder are names, never fetched.
      assert.doesNotMatch(await response.text(), /https?:\/\/(?!www\.w3\.org\/|example\.org\/)/, `${asset} names an outside address`);
    }
  });

  it("answers an unknown asset with 404 and a way out of its directory with 403, in the contract's shape", async () => {
    for (const [asset, status] of [
      ['/assets/none.js', 404],
      ['/assets/..%2f..%2fpackage.json', 403],
      ['/assets/%2e%2e%2f%2e%2e%2fREADME.md', 403],
    ] as const) {
      const response = await fetch(`${lab().url}${asset}`);
      assert.equal(response.status, status, asset);
      assert.equal(((await response.json()) as { httpCode: number }).httpCode, status, asset);
    }
  });

  it('leaves the API as it was: its routes still want a key, and the document does not list the page', async () => {
    assert.equal((await lab().call('GET', '/userDetails/whoami', { key: null })).status, 401);
    assert.equal((await lab().call('GET', '/status', { key: null })).status, 200);
    const paths = Object.keys((await lab().call('GET', '/openapi.json')).body.paths);
    assert.ok(paths.length > 10);
    assert.deepEqual(paths.filter((p) => !p.startsWith('/api/v1/')), []);
  });
});

describe('the exports page, not built', () => {
  it('answers / with 503 saying to run npm run build, under the same headers', async () => {
    const app = Fastify();
    await registerWebPage(app, tempDir('elnport-no-page-'));
    try {
      const response = await app.inject({ method: 'GET', url: '/' });
      assert.equal(response.statusCode, 503);
      assert.match(response.headers['content-type'] as string, /^text\/plain/);
      assert.match(response.body, /npm run build/);
      assert.equal(response.headers['content-security-policy'], pageSecurityPolicy);
    } finally {
      await app.close();
    }
  });
});
