/**
 * Bulk power actions: run one async action per item with at most `limit` in flight,
 * and report each item's outcome instead of failing the whole batch on the first error.
 */
export type ItemResult<T, R> =
  | { item: T; ok: true; value: R }
  | { item: T; ok: false; error: unknown };

/**
 * Results come back in the order of `items`, whatever order they finish in.
 * `limit` is the maximum number of concurrent calls (minimum 1; values below 1 mean 1).
 */
export async function withBoundedConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<ItemResult<T, R>[]> {
  const results = new Array<ItemResult<T, R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      try {
        results[i] = { item, ok: true, value: await fn(item, i) };
      } catch (error) {
        results[i] = { item, ok: false, error };
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
