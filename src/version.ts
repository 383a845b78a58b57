import { createRequire } from 'node:module';

/** The version in package.json, which `/status` reports as RSpace reports its own. */
export const version: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
