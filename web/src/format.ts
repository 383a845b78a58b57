/** How the page writes dates and the time left, in the reader's own locale. */

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "1 d 2 h 3 min 4 s" until `iso`, or null once it has passed. */
export function timeLeft(iso: string, now: number): string | null {
  let seconds = Math.floor((Date.parse(iso) - now) / 1000);
  if (seconds <= 0) return null;
  const parts: string[] = [];
  for (const [size, name] of [[86400, 'd'], [3600, 'h'], [60, 'min']] as const) {
    const count = Math.floor(seconds / size);
    if (count > 0 || parts.length > 0) parts.push(`${count} ${name}`);
    seconds -= count * size;
  }
  parts.push(`${seconds} s`);
  return parts.join(' ');
}

export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
