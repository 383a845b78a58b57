import type { ExportManifest } from '../domain/exportModel.js';

/**
 * `manifest.txt`: `key:value` lines sorted by key, as RSpace writes it. "RSPace application
 * version" is RSpace's own spelling, which tools look for.
 */
export function manifestText(m: ExportManifest): string {
  const lines: Record<string, string> = {
    'Exported by': m.exportedBy,
    'RSPace application version': m.appVersion,
    'Source URL': m.sourceUrl,
    archiveId: m.archiveId,
    archiveSource: 'elnport',
    exportDate: m.exportDate,
    scope: m.scope,
    documentsExported: String(m.counts.documents),
    foldersExported: String(m.counts.folders),
    filesExported: String(m.counts.files),
    recordsSkipped: String(m.counts.skipped),
    includeRevisionHistory: String(m.includeRevisionHistory),
    maxLinkLevel: String(m.maxLinkLevel),
  };
  if (m.modifiedSince) lines.modifiedSince = m.modifiedSince;
  return (
    Object.keys(lines)
      .sort()
      .map((key) => `${key}:${lines[key]!.replace(/[\r\n]+/g, ' ')}`)
      .join('\n') + '\n'
  );
}
