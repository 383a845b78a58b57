/**
 * The oldest Node.js elnport runs on: zlib.crc32, which archives and downloads are checked with,
 * arrived in 20.15. package.json's `engines` starts from the same floor (test/nodeVersion.test.ts
 * holds the two together). This module imports nothing, so that the CLI entry can check before
 * anything that needs a newer Node loads.
 */
export const minimumNode = '20.15.0';

function numbers(version: string): number[] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return match ? match.slice(1, 4).map(Number) : undefined;
}

/** Why elnport cannot run on Node `version` (as process.version spells it), or undefined if it can. */
export function nodeVersionProblem(version: string, minimum = minimumNode): string | undefined {
  const have = numbers(version);
  const need = numbers(minimum)!;
  const at = have ? need.findIndex((n, i) => have[i] !== n) : 0;
  if (have && (at === -1 || have[at]! > need[at]!)) return undefined;
  return `elnport needs Node.js >= ${minimum}; this is ${/^v/.test(version) ? version : `v${version}`}`;
}
