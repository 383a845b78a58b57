import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectError, startLab, sysadminKey, useLab } from './support/lab.js';
import { parseAnswer, rawConnection, rawRequest, type RawAnswer } from './support/rawHttp.js';

/**
 * Issue 7, item 5: answers the framework or Node's HTTP parser gives, before any route runs, are
 * in the contract's error shape too. Each request is written byte by byte, since fetch will not
 * send most of them. The database plays no part, so SQLite alone is enough.
 */

const statusNames: Record<number, string> = {
  400: 'BAD_REQUEST',
  408: 'REQUEST_TIMEOUT',
  414: 'URI_TOO_LONG',
  417: 'EXPECTATION_FAILED',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

function expectRawError(answer: RawAnswer, httpCode: number, internalCode: number): void {
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/, answer.raw);
  const body = expectError(answer, httpCode, internalCode);
  assert.equal(body.status, statusNames[httpCode]);
}

const request = (head: string) => `${head}\r\nHost: localhost\r\nConnection: close\r\n\r\n`;

describe('errors before any route runs', () => {
  const lab = useLab('sqlite');

  // [what is sent, the bytes, the answer's status and internal code]
  const cases: [string, string, number, number][] = [
    ['an overlong path parameter (FST_ERR_MAX_PARAM_LENGTH)', request(`GET /api/v1/documents/${'1'.repeat(150)} HTTP/1.1`), 414, 41401],
    ['a path that is not valid percent-encoding (FST_ERR_BAD_URL)', request('GET /api/v1/documents/%E0%A4%A HTTP/1.1'), 400, 40002],
    ['a NUL in a header', 'GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\nX-Note: a\u0000b\r\n\r\n', 400, 40001],
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400, 40001],
    ['an unknown HTTP version', request('GET /api/v1/status HTTP/9.9'), 400, 40001],
    ['a TLS handshake sent to the plain port', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', 400, 40001],
    ['headers larger than the parser takes', request(`GET /api/v1/status HTTP/1.1\r\nX-Padding: ${'a'.repeat(20_000)}`), 431, 43101],
    ['a Content-Length that is not a number', request('POST /api/v1/folders HTTP/1.1\r\nContent-Length: abc'), 400, 40001],
    [
      'both Content-Length and Transfer-Encoding',
      'POST /api/v1/folders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      40001,
    ],
    [
      'a broken chunk in a body the route is already reading',
      'POST /api/v1/folders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      400,
      40001,
    ],
    ['an HTTP/1.1 request without Host', 'GET /api/v1/status HTTP/1.1\r\nConnection: close\r\n\r\n', 400, 40001],
    ['an expectation other than 100-continue', request('GET /api/v1/status HTTP/1.1\r\nExpect: magic'), 417, 41701],
  ];

  for (const [name, bytes, httpCode, internalCode] of cases) {
    it(`answers ${name} with ${httpCode} in the contract's error shape`, async () => {
      expectRawError(await rawRequest(lab().url, Buffer.from(bytes, 'latin1')), httpCode, internalCode);
    });
  }

  it('still answers a well-formed request after all of them', async () => {
    const answer = await rawRequest(lab().url, request('GET /api/v1/status HTTP/1.1'));
    assert.equal(answer.status, 200, answer.raw);
    assert.equal(answer.body.message, 'OK');
  });
});

describe('a request that arrives while the server shuts down', () => {
  it('is answered 503 in the error shape, after the request before it on the connection was served', async () => {
    const lab = await startLab('sqlite');
    const body = JSON.stringify({ name: 'Made while closing' });
    const head = (length: number) =>
      `POST /api/v1/folders HTTP/1.1\r\nHost: localhost\r\napiKey: ${sysadminKey}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const { socket, closed } = rawConnection(lab.url);
    // The first request is under way (its body half sent) when the server starts to close, so
    // the connection is busy and stays open; the second arrives behind it.
    const received = new Promise((resolve) => lab.server.app.server.once('request', resolve));
    socket.write(head(body.length) + body.slice(0, 5));
    await received;
    const closing = lab.close();
    while (lab.server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    socket.write(body.slice(5) + head(2) + '{}');
    const raw = await closed;
    await closing;
    const second = raw.indexOf('HTTP/1.1 ', 1);
    assert.equal(parseAnswer(raw.slice(0, second)).status, 201, raw);
    expectRawError(parseAnswer(raw.slice(second)), 503, 50301);
  });
});

describe('an answer still being written when the server starts to close', () => {
  it('closes its keep-alive connection when done, rather than hold up the close for the keep-alive timeout', { timeout: 30_000 }, async () => {
    const lab = await startLab('sqlite');
    const bytes = Buffer.alloc(8 * 1024 * 1024, 7);
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'big.bin');
    const uploaded = await fetch(`${lab.url}/api/v1/files`, { method: 'POST', headers: { apiKey: sysadminKey }, body: form });
    const { id } = (await uploaded.json()) as { id: number };
    const { socket, closed } = rawConnection(lab.url);
    // The client reads the first bytes, then stops: the answer waits on back-pressure.
    const started = new Promise((resolve) => socket.once('data', resolve));
    socket.write(`GET /api/v1/files/${id}/file HTTP/1.1\r\nHost: localhost\r\napiKey: ${sysadminKey}\r\n\r\n`);
    await started;
    socket.pause();
    const closing = lab.close();
    while (lab.server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    socket.resume();
    const answer = parseAnswer(await closed);
    await closing;
    assert.equal(answer.status, 200);
    assert.equal(answer.raw.length - answer.raw.indexOf('\r\n\r\n') - 4, bytes.length);
  });
});
