import { invalidConfig } from './domain/errors.js';

/**
 * An on/off setting from the environment, read alike wherever one is: `true` or `1` is on,
 * `false`, `0` or nothing is off, and anything else is refused rather than taken for off.
 */
export function flag(env: Record<string, string | undefined>, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw invalidConfig(`${name} must be true or false (or 1 or 0), got "${raw}"`);
}
