/**
 * The process's own timers, captured when this module is first loaded — before the
 * controllable clock (clock.ts, which imports this module) can replace the globals. For what
 * measures real work rather than simulated time: the local Lambda timeout, above all, must
 * not fire because a test jumped the clock while a handler was waiting on DynamoDB Local.
 */
export const realSetTimeout: typeof setTimeout = globalThis.setTimeout;
export const realClearTimeout: typeof clearTimeout = globalThis.clearTimeout;
export const realSetInterval: typeof setInterval = globalThis.setInterval;
export const realClearInterval: typeof clearInterval = globalThis.clearInterval;
/** Monotonic milliseconds (performance.now is never faked here). */
export const realNow = (): number => performance.now();
