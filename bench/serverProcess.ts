/**
 * What the benches share: a built server process on a free loopback port, and a JSON caller.
 *
 * BENCH_SERVER_DIR names another built checkout (its own node_modules and dist) whose server is
 * started instead of this tree's, so that one bench measures before and after back to back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchKey = 'bench_sysadmin_key_0123456789';

export const ownTree = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const serverDir = path.resolve(process.env.BENCH_SERVER_DIR || ownTree);

export type Call = (method: string, p: string, apiKey: string, body?: unknown) => Promise<any>;

export function caller(base: string): Call {
  return async (method, p, apiKey, body) => {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: { apiKey, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (r.status >= 400) throw new Error(`${method} ${p}: ${r.status} ${(await r.text()).slice(0, 300)}`);
    return r.status === 204 ? null : r.json();
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

/** What one start of the server adds to the run's settings. */
export interface StartOptions {
  /** Node arguments before the script, e.g. `--import` of a probe. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** More arguments for `serve`, e.g. `--role worker`. */
  args?: string[];
  /** What answers 200 once the process is ready; default `<base>/status` (a worker's: its /health). */
  readyUrl?: string;
}

export interface ServerProcess {
  base: string;
  serve(options?: StartOptions): Promise<ChildProcess>;
  stop(child: ChildProcess): Promise<void>;
}

/** `dist/cli/main.js serve` of serverDir over `dataDir`; `nodeOptions` go to the server alone. */
export async function serverProcess(dataDir: string, nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS ?? ''): Promise<ServerProcess> {
  const main = path.join(serverDir, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist: build that checkout first (npm run build in ${serverDir})`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/api/v1`;
  return {
    base,
    async serve(options = {}) {
      // As arguments, not NODE_OPTIONS, which refuses some (--cpu-prof).
      const args = [...nodeOptions.split(' ').filter(Boolean), ...(options.nodeArgs ?? []), main, 'serve', ...(options.args ?? [])];
      const child = spawn(process.execPath, args, {
        cwd: serverDir,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          ELNPORT_DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          ELNPORT_SYSADMIN_API_KEY: benchKey,
          LOG_LEVEL: 'warn',
          ELNPORT_RATE_LIMIT: '1000000',
          ...options.env,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      let exited = false;
      child.once('exit', () => (exited = true));
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(options.readyUrl ?? `${base}/status`)).ok) return child;
        } catch {
          if (exited || i > 300) throw new Error('the server did not start');
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(child) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exit = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exit;
    },
  };
}
