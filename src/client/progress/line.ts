import { bar, fit } from './format.js';

/**
 * One progress line laid out to `columns`: the label, a bar taking what room is left (10 to 30
 * characters), and the figures. A line must never wrap, or redrawing it with `\r` would leave a
 * trail of half lines.
 */
export function progressLine(label: string, fraction: number, figures: string, columns: number): string {
  const room = Math.max(20, columns - 1);
  const barWidth = Math.min(30, Math.max(10, room - label.length - figures.length - 2));
  const labelWidth = Math.max(8, room - barWidth - figures.length - 2);
  return `${fit(label, labelWidth)} ${bar(fraction, barWidth)} ${figures}`.slice(0, room);
}
