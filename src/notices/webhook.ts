import http from 'node:http';
import https from 'node:https';
import { noticeTimings } from '../domain/noticeRetry.js';
import { webhookUrlProblem } from '../domain/webhookTarget.js';
import { version } from '../version.js';
import { failure, type Attempt } from './attempt.js';
import { guardedLookup, refusedAddressCode } from './guardedLookup.js';

/**
 * POSTs a notice's `body` to `target`: delivered on a 2xx answer; any other answer, no answer
 * within noticeTimings.attemptTimeoutMs, or no connection, is a failed attempt. Redirects are not
 * followed (a 3xx is a failure): one could lead where the URL's check never looked. Unless
 * `allowPrivate`, the URL is checked again here (the operator may have changed the setting since it
 * was saved) and every address its name resolves to as it connects (guardedLookup).
 */
export function postWebhook(target: string, body: string, headers: Record<string, string>, allowPrivate: boolean): Promise<Attempt> {
  const problem = webhookUrlProblem(target, allowPrivate);
  if (problem) return Promise.resolve({ delivered: false, responseStatus: null, error: `refused: ${problem}`, final: true });
  const url = new URL(target);
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const request = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': `elnport/${version}` },
      ...(allowPrivate ? {} : { lookup: guardedLookup }),
      // No pool: a connection kept open to a receiver is of no use once the attempt is over.
      agent: false,
    });
    // The whole attempt's deadline, not an idle one: a receiver trickling its answer is cut too.
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${noticeTimings.attemptTimeoutMs / 1000} s`)), noticeTimings.attemptTimeoutMs);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      resolve(ok ? { delivered: true, responseStatus: status, error: null } : { delivered: false, responseStatus: status, error: `answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}` });
      // The answer's body is not needed: read and dropped, within the deadline.
      response.resume();
      response.on('close', () => clearTimeout(deadline));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      resolve(error.code === refusedAddressCode ? { ...failure(error), final: true } : failure(error));
    });
    request.end(body);
  });
}
