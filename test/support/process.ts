import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { projectRoot } from './cliRun.js';
import { labBlobsEnv, type Lab } from './lab.js';
import type { Call } from './http.js';

/**
 * The real server as a separate process (`elnport serve`), for tests that must kill it the hard
 * way. Every process started here is remembered, so an `after` hook can kill whatever a failed
 * test left running.
 */

const running = new Set<ChildProcess>();

/** A port nobody listens on right now: the kernel picks one, and we let it go again. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGKILL (or another signal) and wait until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServeOptions {
  dataDir: string;
  port: number;
  sysadminKey: string;
  /** Extra environment, e.g. DATABASE_URL or ELNPORT_RATE_LIMIT; with a DATABASE_URL, the S3 pass adds its blob settings (lab.ts labBlobsEnv). */
  env?: Record<string, string>;
  /** How long to wait for GET /api/v1/status; default 60 s (tsx compiles on first start). */
  startTimeoutMs?: number;
  /** More arguments for `serve`, e.g. `--role worker`. */
  args?: string[];
  /** What answers 200 once the process is ready; default `<url>/api/v1/status` (a worker's: its /health). */
  readyUrl?: string;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `node --import tsx src/cli/main.ts serve` and waits until its status endpoint (or `readyUrl`) answers. */
export async function serve(options: ServeOptions): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const readyUrl = options.readyUrl ?? `${url}/api/v1/status`;
  // Blobs as a lab over the same database would keep them: in the S3 pass, on PostgreSQL, in s3rver.
  const blobsEnv = await labBlobsEnv(options.env?.DATABASE_URL ? 'postgres' : 'sqlite', options.dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...(options.args ?? [])], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ELNPORT_DATA_DIR: options.dataDir,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      ELNPORT_SYSADMIN_API_KEY: options.sysadminKey,
      LOG_LEVEL: 'warn',
      ...blobsEnv,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const server: ServerProcess = {
    url,
    child,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (!exited(child)) child.kill(signal);
      await waitForExit(child);
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited(child)) throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    try {
      const r = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) {
        await r.arrayBuffer();
        return server;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.kill();
      throw new Error(`the server did not answer GET ${readyUrl} within the timeout:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Kills every server process still running (for `after` hooks). */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (!exited(child)) child.kill('SIGKILL');
      await waitForExit(child);
    }),
  );
}

/**
 * waitForJob and downloadArchive (archives.ts) take a Lab but use only its `call` and `url`;
 * this lends them a server process under that name.
 */
export function labLike(url: string, call: Call): Lab {
  return { url, call } as unknown as Lab;
}

/** A fresh PostgreSQL database for one test run, and how to drop it. */
export async function createPostgresDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `elnport_test_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
