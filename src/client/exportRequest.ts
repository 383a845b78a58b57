import { ClientError } from './errors.js';
import type { Query } from './http.js';
import type { ExportParams } from './types.js';

/**
 * The path and query that start an export. A selection without ids, or ids with another scope,
 * is refused here: RSpace would silently export the caller's whole work instead, and its
 * `/{id}` path does no validation of its own.
 */
export function exportRequest(params: ExportParams): { path: string; query: Query } {
  const selections = params.selections ?? [];
  if (params.scope === 'selection') {
    if (selections.length === 0) throw new ClientError('usage', 'A selection export needs at least one record id');
    if (params.id !== undefined) throw new ClientError('usage', 'A selection export takes record ids in selections, not an id');
  } else if (selections.length > 0) {
    throw new ClientError('usage', `Record ids are only for scope selection, not scope ${params.scope}`);
  }
  const segments = [params.format, params.scope, ...(params.id === undefined ? [] : [String(params.id)])];
  return {
    path: `/export/${segments.map(encodeURIComponent).join('/')}`,
    query: {
      selections: selections.length > 0 ? selections.join(',') : undefined,
      includeRevisionHistory: params.includeRevisionHistory,
      maxLinkLevel: params.maxLinkLevel,
      modifiedSince: params.modifiedSince,
    },
  };
}
