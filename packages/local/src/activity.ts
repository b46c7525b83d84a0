/**
 * Work in progress on behalf of the app: HTTP requests to the API and local auth, Lambda
 * invocations by Step Functions, sweeper runs. The controllable clock waits until there is
 * none before it fires the next timer of a jump, so a jump behaves as if the work each timer
 * started had finished at that moment — handlers see the time their timer was due, and their
 * own timeouts (middy's early timeout, SDK retries) do not fire because time leapt past them.
 */
import { realNow, realSetTimeout } from "./real-time";

let inFlight = 0;

/** Counts `work` as in progress until it settles; returns it. Call when the work starts. */
export function track<T>(work: Promise<T>): Promise<T> {
  inFlight++;
  work.then(
    () => inFlight--,
    () => inFlight--,
  );
  return work;
}

export function inFlightCount(): number {
  return inFlight;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Resolves once nothing has been in progress for two turns of the event loop in a row (so
 * that work chained on promises or I/O callbacks of finished work has had the chance to
 * start). Gives up after `capMs` of real time with a warning: false.
 */
export async function whenIdle(capMs = 30_000): Promise<boolean> {
  const started = realNow();
  let quietTurns = 0;
  for (;;) {
    await nextTurn();
    if (inFlight === 0) {
      if (++quietTurns >= 2) return true;
      continue;
    }
    quietTurns = 0;
    if (realNow() - started > capMs) {
      console.warn(`[local-clock] still ${inFlight} piece(s) of work in progress after ${capMs} ms; moving the clock on`);
      return false;
    }
    await new Promise((resolve) => realSetTimeout(resolve, 1));
  }
}
