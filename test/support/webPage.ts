import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { webPageDir } from '../../src/api/webPage.js';

/**
 * `npm test` builds the page before any test (package.json); a test file run on its own builds it
 * here when it was never built, so that it tests the page rather than its absence.
 */
export function ensurePageBuilt(): void {
  if (fs.existsSync(path.join(webPageDir, 'index.html'))) return;
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build:web'], { cwd: path.resolve(webPageDir, '../..'), stdio: 'ignore' });
}

/** The assets the built page names in its index.html: its script and its stylesheet. */
export function pageAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}
