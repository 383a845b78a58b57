import type { ExportManifest } from '../../domain/exportModel.js';
import { text } from './escape.js';

/**
 * No script may run in an exported page, whatever slipped into a field. Images and the stylesheet
 * load from the archive; `file:` is listed beside 'self' because a page opened from disk has an
 * opaque origin, which CSP3's 'self' rule (§6.7.2.8) does not promise to match. Nothing loads
 * from the network, so opening an archive never tells anyone it was opened: a field's remote
 * image is shown as a link instead (fieldContent.ts).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "img-src 'self' file: data:",
  "style-src 'self' file: 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

export interface Page {
  /** Plain text; escaped here. */
  title: string;
  /** From the page to the archive's top folder: '' for top-level pages, '../' inside a record's folder. */
  root: '' | '../';
  /** Extra navigation after the index links, as markup (e.g. the parent folder's link). */
  nav?: string;
  body: string;
}

export function pageShell(manifest: ExportManifest, page: Page): string {
  const [before, after] = pageFrame(manifest, page);
  return before + page.body + after;
}

/** A page whose body is written as it is read (the listing pages of a large archive). */
export async function* streamedPage(manifest: ExportManifest, page: Omit<Page, 'body'>, body: AsyncIterable<string>): AsyncIterable<string> {
  const [before, after] = pageFrame(manifest, page);
  yield before;
  yield* body;
  yield after;
}

/** The page up to its body, and after it. */
function pageFrame(manifest: ExportManifest, { title, root, nav }: Omit<Page, 'body'>): [string, string] {
  return [`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
<link rel="stylesheet" href="${root}resources/style.css">
</head>
<body>
<header class="site">
<nav aria-label="Archive">
<a href="${root}index.html">Export index</a>
<a href="${root}a-zIndex.html">A–Z index</a>${nav ? `\n${nav}` : ''}
</nav>
</header>
<main>
`, `
</main>
<footer class="site">
Exported from ${text(manifest.sourceUrl)} by ${text(manifest.exportedBy)} on ${text(manifest.exportDate)}. Made by elnport ${text(manifest.appVersion)}.
</footer>
</body>
</html>
`];
}
