/**
 * The field tasks: sanitising new content and finding search's text, pure functions of a string
 * that must not hold the event loop when it is long. Run on a worker thread (pool.ts), or inline
 * when the input is small. Each takes one argument, as piscina passes it. Only a thread that
 * runs one of them loads this module, and the sanitiser with it.
 */
import { contentLimits, nestsDeeperThan } from '../domain/contentLimits.js';
import { prepareFieldContent, type PreparedContent } from '../domain/fieldContent.js';

/** Search's text of a field (store/queries/fields.ts). */
export { plainText } from '../domain/fieldContent.js';

/** Sanitises new field content; 'too deep' (checked first, in linear time) when it nests past the limit. */
export function prepareField(input: string): PreparedContent | 'too deep' {
  return nestsDeeperThan(input, contentLimits.nestingDepth) ? 'too deep' : prepareFieldContent(input);
}
