import type { RecordKind } from './model.js';

/** RSpace's global id prefixes: SD123 is document 123. */
export const globalIdPrefix = {
  DOCUMENT: 'SD',
  FOLDER: 'FL',
  NOTEBOOK: 'NB',
  MEDIA: 'GL',
  FIELD: 'FD',
  GROUP: 'GP',
  USER: 'US',
  FORM: 'FM',
} as const;

export function globalId(kind: keyof typeof globalIdPrefix | RecordKind, id: number): string {
  return `${globalIdPrefix[kind]}${id}`;
}
