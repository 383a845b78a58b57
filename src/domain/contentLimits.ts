import { Parser } from 'htmlparser2';
import { contentOverLimit, type ElnportError } from './errors.js';

/**
 * How much content a document's field may hold. Checked before anything parses it: sanitising
 * costs about 0.4 ms per KiB (a field at the limit takes most of a second, on a worker thread),
 * and htmlparser2 keeps its open elements in an array it shifts at the front, so its time grows
 * with nesting depth × length (issue 7: a million nested <div> held the server for 403 s).
 *
 * A field holds up to 2 MiB of UTF-8: a long protocol with many tables is a few hundred KiB, and
 * pictures are gallery files, not field content. 256 levels of nesting is far beyond what an
 * editor writes (lists in tables in lists stay under 20). A whole request body is bounded by the
 * server's 16 MiB JSON limit (413), which holds every field of the largest form at this limit.
 */
export const contentLimits = Object.freeze({
  fieldBytes: 2 * 1024 * 1024,
  nestingDepth: 256,
});

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/** Which field a message is about, by the position of its content among those given. */
function fieldLabel(index: number): string {
  return `fields[${index}].content`;
}

/**
 * Refuses content over the size limit; linear (one UTF-8 length per field) and done before any
 * parsing, so an oversized request costs no more than reading it.
 */
export function checkContentSizes(contents: readonly string[]): void {
  for (const [index, content] of contents.entries()) {
    const bytes = Buffer.byteLength(content, 'utf8');
    if (bytes > contentLimits.fieldBytes) {
      throw contentOverLimit(fieldLabel(index), `${fieldLabel(index)} holds ${mebibytes(bytes)} (${bytes} bytes of UTF-8); a field may hold at most ${mebibytes(contentLimits.fieldBytes)} (${contentLimits.fieldBytes} bytes)`);
    }
  }
}

export function nestingTooDeep(index: number): ElnportError {
  return contentOverLimit(fieldLabel(index), `${fieldLabel(index)} nests elements more than ${contentLimits.nestingDepth} deep; a field may nest them at most ${contentLimits.nestingDepth} deep`);
}

/**
 * Whether any element of the HTML sits more than `limit` elements deep, as the sanitiser's parser
 * sees it (implied end tags included). It stops at the first element past the limit, so the
 * parser's stack never grows beyond it and the check stays linear in the length.
 */
export function nestsDeeperThan(html: string, limit: number): boolean {
  let depth = 0;
  let tooDeep = false;
  const parser: Parser = new Parser({
    onopentagname() {
      depth++;
      if (depth > limit) {
        tooDeep = true;
        parser.pause();
      }
    },
    // Every element opened is closed once: void ones at once, others by an end tag, an implied
    // one, or the end of the input.
    onclosetag() {
      depth--;
    },
  });
  parser.write(html);
  return tooDeep;
}
