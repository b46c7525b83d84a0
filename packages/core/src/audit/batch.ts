/** Small helpers the chainer, the verifier and the audit query share. */

/** Code-unit order: the same on every platform and locale. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const BATCH_ROUNDS = 8;

/**
 * An ElectroDB batch get until nothing is left unprocessed (DynamoDB may leave keys of a
 * BatchGetItem for later under load). Missing items are simply absent from the result.
 */
export async function getAllByKeys<K, T>(
  get: (keys: K[]) => Promise<{ data: T[]; unprocessed: unknown[] }>,
  keys: K[],
): Promise<T[]> {
  const found: T[] = [];
  let remaining = keys;
  for (let round = 0; remaining.length > 0; round++) {
    if (round === BATCH_ROUNDS) throw new Error(`BatchGetItem left ${remaining.length} keys unprocessed ${BATCH_ROUNDS} times`);
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round));
    const { data, unprocessed } = await get(remaining);
    found.push(...data);
    remaining = unprocessed as K[];
  }
  return found;
}
