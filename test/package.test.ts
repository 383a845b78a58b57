import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';

/** What `npm pack` would put in the tarball: what a user needs to run elnport, and nothing else. */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('the npm package', () => {
  let files: string[] = [];

  before(() => {
    // `npm ci` builds dist/ (prepare); a tree that was never built is built once here, since
    // --ignore-scripts keeps the dry run from building it on every run.
    if (!fs.existsSync(path.join(root, 'dist/cli/main.js'))) execFileSync(npm, ['run', 'build'], { cwd: root, stdio: 'ignore' });
    const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  });

  it('holds the command, its modules and its worker', () => {
    const { bin } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const file of [...Object.values(bin), 'dist/cli/main.js', 'dist/cli/program.js', 'dist/server.js', 'dist/threads/tasks.js', 'package.json', 'README.md']) {
      assert.ok(files.includes(file), `${file} is missing from ${files.join(', ')}`);
    }
  });

  it('holds no tests, benchmarks, sources, CI, data or build configuration', () => {
    const unwanted = files.filter(
      (file) =>
        /^(test|bench|src|\.ci|data|\.data|archives|node_modules)\//.test(file) ||
        /\.test\.js$|\.ts$|\.map$/.test(file) ||
        /^(tsconfig.*\.json|eslint\.config\.js|package-lock\.json|\.gitignore)$/.test(file),
    );
    assert.deepEqual(unwanted, []);
  });

  it('holds only dist/ besides the files npm always adds', () => {
    assert.deepEqual(files.filter((file) => !file.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE)$/.test(file)), []);
  });
});
