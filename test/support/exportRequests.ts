import type { ExportRequest } from '../../src/domain/exportJob.js';
import type { ExportFormat } from '../../src/domain/exportModel.js';

/** An export of the caller's own work with every option at its default, for tests that store jobs directly. */
export function ownWorkRequest(format: ExportFormat): ExportRequest {
  return {
    format,
    scope: 'user',
    targetId: null,
    selections: [],
    includeRevisionHistory: false,
    maxLinkLevel: 1,
    modifiedSince: null,
    sourceUrl: 'http://127.0.0.1',
  };
}
