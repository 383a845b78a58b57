import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { errorBody, httpFailure, payloadTooLarge, type ElnportError } from '../domain/errors.js';
import { requestIdHeader, requestIdOf } from './requestIds.js';

/**
 * The refusals Node's HTTP server makes where Fastify has no reply to answer with (a request it
 * cannot parse, headers too large, time run out, an unmet Expect) and the two Fastify answers
 * itself (no Host, shutting down). Node and Fastify give them in their own shapes or with no
 * body at all (issue 7, item 5); here each is one of the catalogue's errors in the contract's.
 */

function rawAnswer(failure: ElnportError, requestId: string): string {
  const body = JSON.stringify(errorBody(failure));
  return (
    `HTTP/1.1 ${failure.httpCode} ${STATUS_CODES[failure.httpCode]}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${requestIdHeader}: ${requestId}\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

/**
 * Answers on the bare socket, then closes it: after a parse error or a timeout nothing more can
 * be read from the connection. An answer already begun on it is left alone, since bytes written
 * after its head would corrupt it (Node's own handler makes the same check).
 */
function refuseOnSocket(socket: Socket, failure: ElnportError, response: ServerResponse | undefined, requestId: string): void {
  if (socket.writable && !response?.headersSent) socket.write(rawAnswer(failure, requestId));
  socket.destroy();
}

function requestTimedOut(timeouts: Config['timeouts']): ElnportError {
  return httpFailure(
    408,
    `The request did not arrive in time: its headers must come within ${timeouts.headersMs / 1000} s and all of it within ${timeouts.requestMs / 1000} s`,
  );
}

function parserFailure(error: ConnectionError, timeouts: Config['timeouts']): ElnportError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return requestTimedOut(timeouts);
    case 'HPE_HEADER_OVERFLOW':
      return httpFailure(431, 'The request headers are larger than the server takes');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return payloadTooLarge('The chunk extensions of the request body are larger than the server takes');
    default:
      return httpFailure(400, `The request is not valid HTTP/1.1: ${error.message}`);
  }
}

/** Fastify's `clientErrorHandler`: Node's parser failed, or the header or request deadline passed. */
export function clientErrorHandler(config: Config) {
  return function (this: FastifyInstance, error: ConnectionError, socket: Socket): void {
    // A reset connection has nobody to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const failure = parserFailure(error, config.timeouts);
    // The answer in flight, if any; Node keeps it on the socket under this name.
    const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    const reqId = requestIdOf(response?.req);
    this.log.info({ reqId, code: failure.internalCode, message: failure.message }, 'connection refused');
    refuseOnSocket(socket, failure, response, reqId);
  };
}

export function registerConnectionErrors(app: FastifyInstance): void {
  const { timeouts } = app.config;
  // Nothing came or went for the idle timeout while a body was still due: Node would drop the
  // connection without a word, but a client that merely stalled can still read a 408. A request
  // already received is left to Node, which closes the connection.
  app.server.on('request', (request, response) => {
    request.once('timeout', () => {
      const failure = httpFailure(408, `Nothing of the request arrived for ${timeouts.idleMs / 1000} s`);
      refuseOnSocket(request.socket, failure, response, requestIdOf(request));
    });
  });
  // Node answers any expectation but 100-continue with a bare 417 unless someone listens.
  app.server.on('checkExpectation', (request, response) => {
    const body = JSON.stringify(errorBody(httpFailure(417, `Only "Expect: 100-continue" is understood, not "${request.headers.expect}"`)));
    response.writeHead(417, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      [requestIdHeader]: requestIdOf(request),
      connection: 'close',
    });
    response.end(body);
  });
  // Fastify answers requests that arrive on open connections while it closes with a 503 of its
  // own shape, unless told not to (app.ts does); this is the same answer in the contract's.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Both checks in one hook, as it runs before every request.
  app.addHook('onRequest', (request, _reply, done) => {
    // Node's own check answers with an empty body, so app.ts turns it off and this one answers.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      done(httpFailure(400, 'An HTTP/1.1 request must carry a Host header (RFC 9112, section 3.2)'));
    } else if (closing) {
      done(httpFailure(503, 'The server is shutting down; send the request again in a moment'));
    } else {
      done();
    }
  });
  // Closing drops the idle keep-alive connections once, at its start; one whose answer was still
  // being written then would stay open for the whole keep-alive timeout and hold up the close.
  app.addHook('onResponse', (_request, _reply, done) => {
    if (closing) app.server.closeIdleConnections();
    done();
  });
}
