/**
 * setTimeout for delays longer than 2^31 - 1 ms (≈24.8 days). Node (and fake-timers) fire such
 * a timer after 1 ms with a TimeoutOverflowWarning; aws-local-stepfunctions sleeps with one
 * setTimeout, so a reminder Wait five weeks ahead would end at once. This wraps the global
 * setTimeout/clearTimeout so that longer delays are waited out in hops; shorter ones go
 * straight through. Idempotent; the controllable clock re-applies it over its fake timers.
 */
import { promisify } from "node:util";

const MAX_DELAY = 2 ** 31 - 1;
const LONG = Symbol.for("carebook.longTimers");

interface LongTimeout {
  [LONG]: true;
  inner: ReturnType<typeof setTimeout> | undefined;
  refed: boolean;
  ref(): LongTimeout;
  unref(): LongTimeout;
  hasRef(): boolean;
  [Symbol.toPrimitive](): number;
}

let ids = 0;

export function installLongTimers(): void {
  const current = globalThis.setTimeout as typeof setTimeout & { [LONG]?: true };
  if (current[LONG]) return;
  const baseSet = globalThis.setTimeout;
  const baseClear = globalThis.clearTimeout;

  function longSetTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) {
    const delay = Number(ms);
    if (!(delay > MAX_DELAY) || typeof callback !== "function") {
      return baseSet(callback as never, ms, ...args);
    }
    const id = -1_000_000 - ++ids; // never a real id; clearTimeout(handle) finds the handle itself
    const handle: LongTimeout = {
      [LONG]: true,
      inner: undefined,
      refed: true,
      ref() {
        this.refed = true;
        this.inner?.ref?.();
        return this;
      },
      unref() {
        this.refed = false;
        this.inner?.unref?.();
        return this;
      },
      hasRef() {
        return this.refed;
      },
      [Symbol.toPrimitive]: () => id,
    };
    let remaining = delay;
    const hop = () => {
      const step = Math.min(remaining, MAX_DELAY);
      remaining -= step;
      handle.inner = baseSet(remaining > 0 ? hop : () => callback(...args), step);
      if (!handle.refed) handle.inner?.unref?.();
    };
    hop();
    return handle as unknown as ReturnType<typeof setTimeout>;
  }

  function longClearTimeout(timer?: unknown) {
    if (timer && typeof timer === "object" && (timer as LongTimeout)[LONG]) return baseClear((timer as LongTimeout).inner);
    return baseClear(timer as never);
  }

  // Keep what fake-timers marks its functions with (its uninstall restores by these marks).
  Object.assign(longSetTimeout, baseSet, { [LONG]: true, [promisify.custom]: (baseSet as unknown as Record<symbol, unknown>)[promisify.custom] });
  Object.assign(longClearTimeout, baseClear);
  globalThis.setTimeout = longSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = longClearTimeout as typeof clearTimeout;
}
