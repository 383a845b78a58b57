import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Account, Lab } from './lab.js';

/** A request a webhook receiver got. */
export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on 127.0.0.1: it keeps every request, and answers the n-th (from 1) with the
 * status `answer(n)` gives.
 */
export async function startReceiver(answer: (n: number) => number = () => 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(answer(received.length)).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls `who`'s deliveries until `done` holds of them (30 s at most), and returns them. */
export async function deliveriesWhen(lab: Lab, who: Account, done: (deliveries: any[]) => boolean): Promise<any[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await lab.call('GET', '/me/notifications/deliveries?pageSize=100', { key: who.key });
    if (r.status !== 200) throw new Error(`deliveries: ${r.status} ${r.text}`);
    if (done(r.body.deliveries)) return r.body.deliveries;
    if (Date.now() > deadline) throw new Error(`deliveries never got there: ${JSON.stringify(r.body.deliveries)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
