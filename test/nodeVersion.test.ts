import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { minimumNode, nodeVersionProblem } from '../src/cli/nodeVersion.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function cli(args: string[], preload: string[] = []) {
  return spawnSync(process.execPath, [...preload, '--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
}

describe('the Node.js floor', () => {
  it('accepts the floor itself and anything newer', () => {
    for (const version of ['v20.15.0', 'v20.15.1', 'v20.20.2', 'v21.0.0', 'v26.12.1', '20.15.0', 'v100.0.0']) {
      assert.equal(nodeVersionProblem(version), undefined, version);
    }
  });

  it('refuses anything older, saying what it needs and what it has', () => {
    for (const version of ['v20.14.9', 'v20.11.1', 'v18.20.4', 'v8.17.0', 'v0.10.48']) {
      assert.equal(nodeVersionProblem(version), `elnport needs Node.js >= ${minimumNode}; this is ${version}`);
    }
    assert.equal(nodeVersionProblem('20.11.0'), `elnport needs Node.js >= ${minimumNode}; this is v20.11.0`);
  });

  it('compares numbers, not text', () => {
    assert.equal(nodeVersionProblem('v20.9.0', '20.10.0'), 'elnport needs Node.js >= 20.10.0; this is v20.9.0');
    assert.equal(nodeVersionProblem('v20.10.0', '20.9.0'), undefined);
    assert.equal(nodeVersionProblem('v9.0.0', '10.0.0'), 'elnport needs Node.js >= 10.0.0; this is v9.0.0');
  });

  it('refuses a version it cannot read rather than guessing', () => {
    assert.match(nodeVersionProblem('next') ?? '', /needs Node\.js >= /);
  });

  it("is the floor package.json's engines names first", () => {
    const { engines } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(engines.node.split('||')[0]!.trim(), `^${minimumNode}`);
  });

  it('lets the command run on this Node', () => {
    const run = cli(['--help']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Usage: elnport /);
  });

  it('stops the command on an older Node before the program loads, with exit code 1', () => {
    // The entry reads process.version; an --import that runs first gives it an older one.
    const older = "Object.defineProperty(process, 'version', { value: 'v20.11.1' })";
    const run = cli(['--help'], ['--import', `data:text/javascript,${encodeURIComponent(older)}`]);
    assert.equal(run.status, 1, run.stdout);
    assert.equal(run.stderr.trim(), `elnport needs Node.js >= ${minimumNode}; this is v20.11.1`);
    assert.equal(run.stdout, '');
  });
});
