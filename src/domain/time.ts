/** Every timestamp elnport stores or sends: ISO-8601 UTC with milliseconds. */
export function isoNow(): string {
  return new Date().toISOString();
}
