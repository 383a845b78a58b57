import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a failed assertion about a run shows: its exit code and everything it printed. */
export function explainRun(outcome: CliOutcome): string {
  return `exit ${outcome.code}\nstdout:\n${outcome.stdout}\nstderr:\n${outcome.stderr}`;
}

/**
 * The real `elnport` command (from source, through tsx) run to its end, with `env` as its whole
 * environment. One that never exits (as `backup --dest /proc/…` once did) is killed after two
 * minutes, so its test fails instead of hanging.
 */
export async function runElnport(args: string[], env: NodeJS.ProcessEnv): Promise<CliOutcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli/main.ts'), ...args], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}
