import { referenceHref, type ContentLinks } from '../../domain/archiveLinks.js';
import type { ExportField } from '../../domain/exportModel.js';
import { sanitiserVersion, sanitizeFieldHtml } from '../../domain/fieldContent.js';
import { attribute, editStartTags, mayHaveUrlAttribute, replaceTag, setAttribute, type Edit, type StartTag } from '../../domain/startTags.js';
import { text } from './escape.js';

const withScheme = /^[a-z][a-z0-9+.-]*:/i;

/**
 * A link the sanitiser let through as relative (`/workspace/...`, `notes.html`) meant the live
 * server; unpacked from the archive it would point into the reader's disk. It goes to the
 * source server instead, like any reference the archive does not hold. Undefined: keep it.
 */
function relativeToSource(url: string, sourceUrl: string): string | undefined {
  return url === '' || url.startsWith('#') || withScheme.test(url) ? undefined : `${sourceUrl}/${url.replace(/^\/+/, '')}`;
}

/**
 * The archive's policy loads images from the archive only (layout.ts), so an image from
 * anywhere else, the source server included, is shown as a link to it: opening a page never
 * calls out, and the reader still finds the picture.
 */
function remoteImage(tag: StartTag, src: string): Edit {
  const label = `Image: ${text(attribute(tag, 'alt')?.value || src)}`;
  const title = 'title="Image not in this export"';
  return replaceTag(tag, tag.inLink
    ? `<span class="remote-image" ${title}>${label}</span>`
    : `<a class="remote-image" ${title} href="${text(src)}">${label}</a>`);
}

function tagEdits(tag: StartTag, links: ContentLinks): Edit[] {
  const reference = referenceHref(tag, links);
  const edits: Edit[] = [];
  for (const at of tag.attributes) {
    if (at.name !== 'href' && at.name !== 'src') continue;
    const url = reference ?? relativeToSource(at.value, links.sourceUrl) ?? at.value;
    if (tag.name === 'img' && at.name === 'src' && (withScheme.test(url) || url.startsWith('//'))) return [remoteImage(tag, url)];
    if (url !== at.value) edits.push(setAttribute(at, url));
  }
  return edits;
}

/**
 * A field's HTML for its page. Content cleaned by an older sanitiser is held to today's rules
 * first; content this version cleaned on the way in is not sanitised twice (that cost several
 * times the rest of the page). Then, in one parse, its references point at the archive's copies
 * or the source server, and remote images become links; a field with no href or src is not parsed.
 */
export function fieldContentHtml(field: ExportField, sourceUrl: string): string {
  const html = field.sanitiserVersion === sanitiserVersion ? field.content : sanitizeFieldHtml(field.content);
  if (!mayHaveUrlAttribute(html)) return html;
  const links: ContentLinks = {
    files: new Map(field.files.map((f) => [f.file.id, f.href])),
    documents: new Map(field.links.map((l) => [l.id, l.href])),
    sourceUrl,
  };
  return editStartTags(html, (tag) => tagEdits(tag, links));
}
