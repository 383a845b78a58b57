/**
 * `work` on each item of `source`, up to `window` items running ahead, the results yielded in
 * source order: batches rendered on worker threads while the zip, which must stay in order, is
 * written from the oldest. The same results as `for (item of source) yield await work(item)`,
 * the same failures at the same place:
 *
 * - a failing work's error is thrown at its turn, after the results before it; once any work has
 *   failed no more source is pulled, as the results after it would be thrown away;
 * - a failing source likewise, after the results of the items it gave;
 * - the rejections of work still running when the generator ends (a failure, or the consumer
 *   leaving early) are handled here, never reported as unhandled, and that work's results are
 *   dropped; the source is closed (its `return()`) unless it ended or failed by itself.
 */
export async function* inOrder<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  work: (item: T) => Promise<R>,
  window: number,
): AsyncGenerator<R> {
  if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`inOrder: window must be a whole number from 1, not ${window}`);
  const items: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const running: Promise<R>[] = [];
  let sourceOpen = true;
  let sourceFailure: { error: unknown } | undefined;
  let workFailed = false;
  try {
    for (;;) {
      while (sourceOpen && !workFailed && running.length < window) {
        let next: IteratorResult<T>;
        try {
          next = await items.next();
        } catch (error) {
          sourceOpen = false;
          sourceFailure = { error };
          break;
        }
        if (next.done) {
          sourceOpen = false;
          break;
        }
        const result = start(work, next.value);
        // Awaited at its turn; until then (or if that turn never comes) this keeps its rejection handled.
        result.catch(() => {
          workFailed = true;
        });
        running.push(result);
      }
      const oldest = running.shift();
      if (!oldest) break;
      yield await oldest;
    }
    if (sourceFailure) throw sourceFailure.error;
  } finally {
    if (sourceOpen) await items.return?.();
  }
}

/** A work that throws instead of rejecting fails at its turn all the same. */
function start<T, R>(work: (item: T) => Promise<R>, item: T): Promise<R> {
  return new Promise<R>((resolve) => resolve(work(item)));
}
