/** Clients that poll GET /jobs/{id} and time each answer. */
import autocannon from 'autocannon';
import http from 'node:http';
import { sleep } from './bench.js';

export interface Latencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function latencies(ms: number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

/**
 * One client on one kept-alive connection, as a script following its job would poll (but every
 * `pauseMs`, not every few seconds, to gather enough answers for a p99), until `done()`.
 */
export async function poller(url: string, apiKey: string, done: () => boolean, pauseMs: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  try {
    while (!done()) {
      const started = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        http.get(url, { agent, headers: { apiKey } }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        }).once('error', reject);
      });
      times.push(performance.now() - started);
      if (status !== 200) throw new Error(`GET ${url}: ${status}`);
      await sleep(pauseMs);
    }
  } finally {
    agent.destroy();
  }
  return times;
}

export interface Load {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** autocannon against one URL for `seconds`, after a short warm-up that is not counted. */
export async function load(url: string, apiKey: string, seconds: number, connections = 10): Promise<Load> {
  await autocannon({ url, headers: { apiKey }, connections, duration: 2 });
  const r = await autocannon({ url, headers: { apiKey }, connections, duration: seconds });
  return {
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}
