import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  prepareFieldContent,
  renderPlaceholders,
  sanitizeFieldHtml,
  type ReferencedDocument,
  type ReferencedFile,
} from '../src/domain/fieldContent.js';
import { forEachDatabase, useLab, type Account } from './support/lab.js';

/** Known XSS vectors, from the OWASP filter evasion cheat sheet, html5sec.org and mXSS papers. */
const payloads: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(\'XSS\');">',
  '<img src=x:alert(alt) onerror=eval(src) alt=0>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="&#106;avascript:alert(1)">x</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>',
  '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href=" &#14;  javascript:alert(1)">x</a>',
  '<a href="java\u0000script:alert(1)">x</a>',
  '<a href="javascript&colon;alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="VBScript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="DATA:text/html,<script>alert(1)</script>">x</a>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="https://evil.example/x.swf">',
  '<style>body { background: url("javascript:alert(1)") }</style>',
  '<style>p { width: expression(alert(1)) }</style><p>x</p>',
  '<p style="width: expression(alert(1))">x</p>',
  '<p style="color: EXPRESSION(alert(1))">x</p>',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<div style="background-color: url(javascript:alert(1))">x</div>',
  '<p style="color: red; background-color: url(https://evil.example/track.png)">x</p>',
  '<img src="https://ok.example/a.png" style="behavior: url(x.htc)">',
  '<p style="-moz-binding: url(https://evil.example/x.xml#xss)">x</p>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  '<math href="javascript:alert(1)">CLICK</math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">CLICK</maction></math>',
  '<form action="javascript:alert(1)"><input type="submit"></form>',
  '<form><button formaction="javascript:alert(1)">x</button></form>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="javascript:alert(1)//">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<title><img src=x onerror=alert(1)></title>',
  '<textarea><script>alert(1)</script></textarea>',
  '<template><script>alert(1)</script></template>',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[><script>alert(1)</script>]]>',
  '<<script>script>alert(1)<</script>/script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img """><script>alert(1)</script>">',
  '<a href="https://ok.example" onclick="alert(1)" onmouseover="alert(2)">x</a>',
  '<div onmouseover="alert(1)">x</div>',
  '<input onfocus=alert(1) autofocus>',
  '<video><source onerror="alert(1)"></video>',
  '<marquee onstart=alert(1)>x</marquee>',
  '<isindex type=image src=1 onerror=alert(1)>',
  '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
  '<span data-file-id="1" onclick="alert(1)">x</span>',
  '<a title="<fileId=5> onmouseover=alert(1) x=">t</a>',
  '<img src="https://ok.example/a.png" alt="<docId=7> onerror=alert(1) x=">',
];

const forbiddenTags = new Set([
  'script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math', 'form', 'input',
  'button', 'select', 'textarea', 'meta', 'base', 'link', 'body', 'html', 'head', 'title', 'details', 'noscript',
  'noembed', 'noframes', 'xmp', 'plaintext', 'template', 'marquee', 'isindex', 'video', 'audio', 'source', 'param',
]);
const forbiddenAttributes = new Set(['srcdoc', 'formaction', 'action', 'xlink:href', 'http-equiv', 'background', 'dynsrc', 'lowsrc']);
const urlAttributes = new Set(['href', 'src', 'cite']);

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);?/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);?/g, (_m, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&colon;/gi, ':')
    .replace(/&amp;/g, '&');
}

interface Tag {
  name: string;
  attributes: [string, string][];
}

const tagPattern = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'<>/=]+(?:="[^"<>]*")?)*)\s*(\/?)>/y;
const attributePattern = /\s+([^\s"'<>/=]+)(?:="([^"]*)")?/g;

/** Every tag in the output; any `<` that does not start a well-formed tag is itself a failure. */
function tagsOf(html: string): Tag[] {
  const tags: Tag[] = [];
  for (let at = html.indexOf('<'); at !== -1; at = html.indexOf('<', at + 1)) {
    tagPattern.lastIndex = at;
    const m = tagPattern.exec(html);
    assert.ok(m, `malformed markup at ${at}: ${html.slice(at, at + 60)}`);
    const attributes = [...m[3]!.matchAll(attributePattern)].map((a): [string, string] => [a[1]!.toLowerCase(), decodeEntities(a[2] ?? '')]);
    tags.push({ name: m[2]!.toLowerCase(), attributes });
  }
  return tags;
}

/** What no sanitised field may hold, checked case-insensitively on the markup itself. */
function assertSafe(output: string, input: string): void {
  const why = `${JSON.stringify(input)} gave ${JSON.stringify(output)}`;
  assert.doesNotMatch(output, /<script/i, why);
  for (const tag of tagsOf(output)) {
    assert.ok(!forbiddenTags.has(tag.name), `<${tag.name}> survived: ${why}`);
    for (const [name, value] of tag.attributes) {
      assert.doesNotMatch(name, /^on\w+/i, `${name}= survived: ${why}`);
      assert.ok(!forbiddenAttributes.has(name), `${name}= survived: ${why}`);
      // Browsers ignore whitespace and control characters inside a URL's scheme.
      // eslint-disable-next-line no-control-regex
      const squeezed = value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
      assert.doesNotMatch(squeezed, /javascript:|vbscript:|data:text\/html|livescript:/, `${name}="${value}": ${why}`);
      if (urlAttributes.has(name)) {
        assert.ok(/^(https?:|mailto:|\/[^/]|#|[^:]*$)/.test(squeezed), `${name}="${value}" is not a safe URL: ${why}`);
      }
      if (name === 'style') {
        assert.doesNotMatch(squeezed, /expression\(|url\(|behavior|-moz-binding|@import|\\/, `style="${value}": ${why}`);
      }
    }
  }
}

const files = new Map<number, ReferencedFile>([
  [5, { id: 5, name: 'gel.png', contentType: 'image/png' }],
  [6, { id: 6, name: '<img src=x onerror=alert(1)>.txt', contentType: 'text/plain' }],
]);
const documents = new Map<number, ReferencedDocument>([[7, { id: 7, name: '"><script>alert(1)</script>' }]]);

function fullPipeline(input: string): string {
  return renderPlaceholders(prepareFieldContent(input).html, files, documents);
}

describe('field HTML sanitiser', () => {
  it(`removes every one of ${payloads.length} known XSS payloads`, () => {
    assert.ok(payloads.length >= 25);
    for (const payload of payloads) {
      assertSafe(sanitizeFieldHtml(payload), payload);
      assertSafe(fullPipeline(payload), payload);
    }
  });

  it('removes scripts and handlers but keeps the text around them', () => {
    assert.equal(sanitizeFieldHtml('<p onclick="alert(1)">Hello <script>alert(1)</script>world</p>'), '<p>Hello world</p>');
    assert.equal(sanitizeFieldHtml('<a href="javascript:alert(1)">click</a>'), '<a>click</a>');
    assert.equal(sanitizeFieldHtml('<img src=x onerror=alert(1)>'), '<img src="x" />');
    assert.equal(sanitizeFieldHtml('<style>p { color: red }</style><p>kept</p>'), '<p>kept</p>');
    assert.equal(sanitizeFieldHtml('<p style="width: expression(alert(1)); color: red">x</p>'), '<p style="color:red">x</p>');
  });

  it('keeps safe formatting as it is', () => {
    const kept = [
      '<h1>Title</h1><h2>Part</h2><h3>Section</h3>',
      '<p><b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <strong>strong</strong> <em>em</em> H<sub>2</sub>O x<sup>2</sup></p>',
      '<ul><li>one</li><li>two</li></ul><ol start="3"><li>three</li></ol>',
      '<table><thead><tr><th colspan="2">Sample</th></tr></thead><tbody><tr><td rowspan="2">A</td><td>1.5</td></tr><tr><td>2.0</td></tr></tbody></table>',
      '<a href="https://example.org/run?id=1&amp;page=2" title="run 1">run 1</a>',
      '<a href="mailto:pi@example.org">mail the PI</a>',
      '<img src="https://example.org/gel.png" alt="gel" width="300" height="200" />',
      '<blockquote>quoted</blockquote><pre><code>x = 1</code></pre><hr /><br />',
      '<p style="color:#ff0000;text-align:center;background-color:rgb(255, 255, 0)">styled</p>',
      '<span style="font-size:12px;font-weight:bold">small</span>',
    ];
    for (const html of kept) assert.equal(sanitizeFieldHtml(html), html);
  });

  it('turns placeholders into references and markup', () => {
    const prepared = prepareFieldContent('<p>Gel: <fileId=5>, notes <FILEID=6>, see <docId=7>.</p>');
    assert.deepEqual(prepared.references, { fileIds: [5, 6], documentIds: [7] });
    assert.equal(
      renderPlaceholders(prepared.html, files, documents),
      '<p>Gel: <img src="/api/v1/files/5/file" alt="gel.png" data-file-id="5" />, ' +
        'notes <a href="/api/v1/files/6/file" data-file-id="6">&#60;img src=x onerror=alert(1)&#62;.txt</a>, ' +
        'see <a href="/globalId/SD7" data-doc-id="7">&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;</a>.</p>',
    );
  });

  it('finds the references in markup saved earlier, so they survive a re-save', () => {
    const prepared = prepareFieldContent('<p><a href="/api/v1/files/6/file" data-file-id="6">n</a> <a href="/globalId/SD7" data-doc-id="7">d</a></p>');
    assert.deepEqual(prepared.references, { fileIds: [6], documentIds: [7] });
  });

  it('leaves a placeholder inside an attribute as text, not a reference', () => {
    const prepared = prepareFieldContent('<a href="https://example.org" title="<fileId=5> and <docId=7>">t</a>');
    assert.deepEqual(prepared.references, { fileIds: [], documentIds: [] });
    const rendered = renderPlaceholders(prepared.html, files, documents);
    assert.equal(rendered, '<a href="https://example.org" title="&lt;fileId=5&gt; and &lt;docId=7&gt;">t</a>');
    assert.equal(tagsOf(rendered).length, 2);
  });

  it('does not take typed text, or a typed separator, for a reference', () => {
    assert.deepEqual(prepareFieldContent('<p>data-file-id="5" and data-doc-id="7"</p>').references, { fileIds: [], documentIds: [] });
    const smuggled = prepareFieldContent('<p>\u2063ELNPORT-FILE-5\u2063</p>');
    assert.deepEqual(smuggled.references, { fileIds: [], documentIds: [] });
    assert.equal(renderPlaceholders(smuggled.html, files, documents), '<p>ELNPORT-FILE-5</p>');
  });

  it('drops a placeholder whose target was not resolved', () => {
    const prepared = prepareFieldContent('<p>a<fileId=99>b<docId=98>c</p>');
    assert.deepEqual(prepared.references, { fileIds: [99], documentIds: [98] });
    assert.equal(renderPlaceholders(prepared.html, new Map(), new Map()), '<p>abc</p>');
  });
});

forEachDatabase((kind) => {
  describe('field content over HTTP', () => {
    const lab = useLab(kind);

    it('stores only sanitised content, on create and on update', async () => {
      const eve: Account = await lab().createUser('eve');
      const attack = [
        '<p onclick="alert(1)">Hello <script>alert(1)</script>world</p>',
        '<a href="JaVaScRiPt:alert(1)">x</a><img src=x onerror=alert(1)>',
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        '<p style="width: expression(alert(1))">x</p><iframe src="https://evil.example"></iframe>',
      ];
      const created = await lab().call('POST', '/documents', {
        key: eve.key,
        body: { name: '<script>alert(1)</script>', form: { id: 2 }, fields: attack.map((content) => ({ content })) },
      });
      assert.equal(created.status, 201, created.text);
      const got = await lab().call('GET', `/documents/${created.body.id}`, { key: eve.key });
      const contents = got.body.fields.map((f: { content: string }) => f.content);
      assert.deepEqual(contents, ['<p>Hello world</p>', '<a>x</a><img src="x" />', '', '<p>x</p>']);
      contents.forEach((content: string, i: number) => assertSafe(content, attack[i]!));

      const updated = await lab().call('PUT', `/documents/${created.body.id}`, {
        key: eve.key,
        body: { fields: [{ content: '<svg onload=alert(1)><b>bold</b></svg><a href="data:text/html,x">y</a>' }] },
      });
      assert.equal(updated.status, 200, updated.text);
      assert.equal(updated.body.fields[0].content, '<b>bold</b><a>y</a>');
      const stored = await lab()
        .server.store.db.selectFrom('fields')
        .select('content')
        .where('document_id', '=', created.body.id)
        .orderBy('column_index')
        .execute();
      assert.deepEqual(stored.map((s) => s.content), ['<b>bold</b><a>y</a>', ...contents.slice(1)]);
    });
  });
});
