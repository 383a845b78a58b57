#!/usr/bin/env node
import { nodeVersionProblem } from './nodeVersion.js';

// Static imports are hoisted and would load zlib.crc32's users before any check could run: the
// program comes in only once this Node is known to be new enough.
const problem = nodeVersionProblem(process.version);
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('./program.js');
