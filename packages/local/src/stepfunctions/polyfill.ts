/**
 * aws-local-stepfunctions 3 uses `Promise.withResolvers` (Node 22) when a Task runs; this
 * machine and some developers run Node 20. Without it a Task fails with a TypeError that a
 * `Catch` on States.ALL would swallow silently. Import this module before the library.
 *
 * It also sleeps through a Wait with one setTimeout, which Node fires after 1 ms when the wait
 * is longer than ≈24.8 days: long-timers.ts makes such delays work.
 */
import { installLongTimers } from "../long-timers";

installLongTimers();

type Resolvers<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== "function") {
  P.withResolvers = <T>() => {
    let resolve!: (value: T) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
