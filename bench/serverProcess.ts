/** What the benches share: a built server process on a free loopback port, and a JSON caller. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export const benchKey = 'bench_sysadmin_key_0123456789';

export type Call = (method: string, p: string, apiKey: string, body?: unknown) => Promise<any>;

export function caller(base: string): Call {
  return async (method, p, apiKey, body) => {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: { apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${(await r.text()).slice(0, 300)}`);
    return r.json();
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  base: string;
  serve(): Promise<ChildProcess>;
  stop(child: ChildProcess): Promise<void>;
}

/** `dist/cli/main.js serve` over `dataDir`; `nodeOptions` go to the server alone. */
export async function serverProcess(dataDir: string, nodeOptions = ''): Promise<ServerProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/api/v1`;
  return {
    base,
    async serve() {
      // As arguments, not NODE_OPTIONS, which refuses some (--cpu-prof).
      const child = spawn(process.execPath, [...nodeOptions.split(' ').filter(Boolean), 'dist/cli/main.js', 'serve'], {
        env: { ...process.env, NODE_OPTIONS: '', ELNPORT_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ELNPORT_SYSADMIN_API_KEY: benchKey, LOG_LEVEL: 'warn', ELNPORT_RATE_LIMIT: '1000000' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`${base}/status`)).ok) return child;
        } catch {
          if (i > 100) throw new Error('the server did not start');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(child) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
