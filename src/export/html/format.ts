/** Timestamps are stored as ISO-8601 UTC; a reader wants the minute, not the milliseconds. */
export function formatDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];

export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

// Formats every current browser draws; a TIFF or a camera's raw file in an <img> is a broken icon,
// so those are linked instead.
const inlineImageTypes = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'image/bmp', 'image/avif',
]);

export function isInlineImage(contentType: string): boolean {
  return inlineImageTypes.has(contentType.toLowerCase().split(';')[0]!.trim());
}
