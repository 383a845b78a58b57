import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExportDocument, ExportField, ExportFile } from '../src/domain/exportModel.js';
import { sanitiserVersion } from '../src/domain/fieldContent.js';
import { fieldContentHtml } from '../src/export/html/fieldContent.js';
import { documentXml } from '../src/export/xml/documentXml.js';

/**
 * Issue 7: `<a title="q href=" data-file-id="343">` came out of an HTML archive with the base
 * URL spliced into the title, because links were rewritten by regex. Both renderers now find
 * href and src through the HTML parser; these are the issue's payload and its reorderings.
 */

const sourceUrl = 'https://eln.example.org';
const at = '2026-11-20T09:30:00.000Z';

function file(id: number, fileName: string, contentType: string): ExportFile {
  return {
    id, fileName, name: fileName, caption: '', contentType, extension: fileName.split('.').pop()!, size: 1, sha256: '0'.repeat(64),
    version: 1, created: at, modified: at, ownerUsername: 'alice', parentFolderId: null, folder: null,
  };
}

function field(content: string): ExportField {
  return {
    id: 1, name: 'Data', type: 'TEXT', columnIndex: 0, modified: at, content, sanitiserVersion,
    files: [
      { file: file(343, 'protocol.pdf', 'application/pdf'), path: 'doc_X-9/protocol.pdf', href: 'protocol.pdf' },
      { file: file(344, 'gel.png', 'image/png'), path: 'doc_X-9/gel.png', href: 'gel.png' },
    ],
    links: [{ id: 22, name: 'Day 1', href: '../doc_Day-1-22/doc_Day-1-22.html', inArchive: true }],
    comments: [],
  };
}

function xmlFieldData(content: string): string {
  const doc: ExportDocument = {
    id: 9, name: 'X', version: 1, revisionOf: null, created: at, modified: at, tags: [], owner: { username: 'alice', fullName: 'Alice' },
    form: { id: 1, name: 'Basic Document', fields: [{ name: 'Data', type: 'TEXT' }] }, parent: null, folder: 'doc_X-9', otherVersions: [],
    fields: [field(content)],
    provenance: null,
  };
  const data = /<fieldData>([\s\S]*)<\/fieldData>/.exec(documentXml(doc, sourceUrl))?.[1] ?? '';
  return data.replace(/&(lt|gt|quot|apos|amp);/g, (_m, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]!);
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** Every order of the attributes, with and without the URL attribute, and what each must become. */
function cases(tag: string, url: [string, string, string], reference: [string, string], close: string): [string, string][] {
  const [urlName, urlValue, rewritten] = url;
  const out: [string, string][] = [];
  for (const withUrl of [false, true]) {
    const attributes: [string, string][] = [['title', `q ${urlName}=`], reference, ...(withUrl ? [[urlName, urlValue] as [string, string]] : [])];
    for (const order of permutations(attributes)) {
      const markup = (value: string) => `<${tag} ${order.map(([k, v]) => `${k}="${k === urlName ? value : v}"`).join(' ')}${close}`;
      out.push([markup(urlValue), markup(rewritten)]);
    }
  }
  return out;
}

const fileLinks = cases('a', ['href', '/api/v1/files/343/file', 'protocol.pdf'], ['data-file-id', '343'], '>protocol</a>');
const images = cases('img', ['src', '/api/v1/files/344/file', 'gel.png'], ['data-file-id', '344'], ' />');
const documentLinks = cases('a', ['href', '/globalId/SD22', '../doc_Day-1-22/doc_Day-1-22.html'], ['data-doc-id', '22'], '>Day 1</a>');

describe('links in field content are rewritten through the parser', () => {
  it('the issue\'s payload comes out of an HTML page as it went in', () => {
    const payload = '<p><a title="q href=" data-file-id="343">x</a></p>';
    assert.equal(fieldContentHtml(field(payload), sourceUrl), payload);
  });

  it('HTML: every attribute order of file links, images and document links', () => {
    for (const [input, expected] of [...fileLinks, ...images, ...documentLinks]) {
      assert.equal(fieldContentHtml(field(`<p>${input}</p>`), sourceUrl), `<p>${expected}</p>`, input);
    }
  });

  it('HTML: a relative link goes to the source server, whatever its other attributes say', () => {
    for (const [input, expected] of cases('a', ['href', 'notes.html', `${sourceUrl}/notes.html`], ['rel', 'noopener'], '>n</a>')) {
      assert.equal(fieldContentHtml(field(`<p>${input}</p>`), sourceUrl), `<p>${expected}</p>`, input);
    }
  });

  it('XML: every attribute order of file links, images and document links', () => {
    for (const [input, expected] of [...fileLinks, ...images, ...documentLinks]) {
      assert.equal(xmlFieldData(`<p>${input}</p>`), `<p>${expected}</p>`, input);
    }
  });

  it('HTML and XML: a field without href or src comes out byte for byte, unparsed, references and odd markup included', () => {
    for (const content of [
      '<p data-file-id="343">x</p><a name="top" data-doc-id="22">y',
      '<P CLASS=x>unclosed <b><i>tags</b> &amp; a stray &lt; and <br/> h r e f, s-r-c',
    ]) {
      assert.equal(fieldContentHtml(field(content), sourceUrl), content);
      assert.equal(xmlFieldData(content), content);
    }
  });

  it('HTML and XML: HREF and SRC in capitals are still found, as the parser reads them', () => {
    const input = '<p><A HREF="/api/v1/files/343/file" DATA-FILE-ID="343">p</A><IMG SRC="/api/v1/files/344/file" DATA-FILE-ID="344"></p>';
    const expected = '<p><A href="protocol.pdf" DATA-FILE-ID="343">p</A><IMG src="gel.png" DATA-FILE-ID="344"></p>';
    assert.equal(fieldContentHtml(field(input), sourceUrl), expected);
    assert.equal(xmlFieldData(input), expected);
  });

  it('XML: an attribute that only mentions a reference is no reference, and other quoting is understood', () => {
    const mentions = `<p><a title='data-file-id="343"' href="/globalId/SD5">five</a></p>`;
    assert.equal(xmlFieldData(mentions), mentions);
    assert.equal(
      xmlFieldData(`<p><a href='/api/v1/files/343/file' data-file-id=343 title='href="x"'>p</a></p>`),
      `<p><a href="protocol.pdf" data-file-id=343 title='href="x"'>p</a></p>`,
    );
  });
});
