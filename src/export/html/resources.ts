import type { IconName } from './parts.js';
import { styleCss } from './style.js';

const svg = (paths: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16">${paths}</svg>\n`;

const icons: Record<IconName, string> = {
  folder: svg('<path d="M1 3.5A1.5 1.5 0 0 1 2.5 2h3.6l1.5 1.5h5.9A1.5 1.5 0 0 1 15 5v7.5a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 1 12.5z" fill="#e3b341" stroke="#9a6700"/>'),
  notebook: svg('<rect x="3" y="1" width="11" height="14" rx="1" fill="#8250df" stroke="#512a97"/><path d="M5.5 1v14" stroke="#512a97"/><path d="M7.5 5h4.5M7.5 7.5h4.5" stroke="#fff"/><path d="M2 4h2M2 8h2M2 12h2" stroke="#512a97"/>'),
  document: svg('<path d="M3 1.5h6.5L13 5v9.5H3z" fill="#fff" stroke="#0969da"/><path d="M9.5 1.5V5H13" fill="none" stroke="#0969da"/><path d="M5 8h6M5 10h6M5 12h4" stroke="#0969da"/>'),
  file: svg('<path d="M3 1.5h6.5L13 5v9.5H3z" fill="#f6f8fa" stroke="#59636e"/><path d="M9.5 1.5V5H13" fill="none" stroke="#59636e"/><circle cx="6.5" cy="9" r="1.5" fill="#59636e"/><path d="M4.5 13l2.5-2.5 1.5 1.5 1.5-1.5 1.5 2.5z" fill="#59636e"/>'),
};

/** The files of `resources/`, by name within it. */
export function resources(): { name: string; data: string }[] {
  return [
    { name: 'style.css', data: styleCss },
    ...Object.entries(icons).map(([name, data]) => ({ name: `${name}.svg`, data })),
  ];
}
