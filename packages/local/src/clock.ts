/**
 * The controllable clock (`--controllable-clock`, for tests): the whole runtime process —
 * Step Functions waits, retries and task timeouts, the sweeper's timer, handlers' `Date.now()`,
 * JWT expiry — runs on @sinonjs/fake-timers installed on globalThis. Time flows with real time
 * (the clock is moved forward by the real time elapsed, every few milliseconds), and tests jump
 * it forward with `POST /local/clock`.
 *
 * A jump goes from timer to timer: it waits until the app is idle (activity.ts: no request,
 * invocation or sweep in progress), moves the clock to the next timer due before the target
 * and fires it, and so on; then it moves to the target and waits for idle once more. So work
 * started by a timer runs at that timer's time (a reminder Wait due at T-24 h sends at T-24 h,
 * and the next Wait is then measured from there), and nothing times out merely because time
 * leapt while a handler was waiting on DynamoDB Local. When the jump's answer comes, what it
 * set off has finished.
 *
 * Faked: Date, setTimeout/clearTimeout, setInterval/clearInterval (also those of node:timers).
 * Not faked: nextTick, setImmediate, queueMicrotask, performance, hrtime — I/O, promises and
 * Node's own internals keep working. Install before anything else is imported (main.ts does),
 * so every module sees the same clock.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { install } from "@sinonjs/fake-timers";
import { whenIdle } from "./activity";
import { installLongTimers } from "./long-timers";
import { realClearInterval, realNow, realSetInterval } from "./real-time";

/** How often the clock catches up with real time (ms). */
const FOLLOW_EVERY_MS = 5;
/** Timers fired one by one (idle in between) in one jump before the rest go at once. */
const MAX_STEPS = 5000;

type InstalledClock = ReturnType<typeof install>;

export interface ControllableClock {
  clock: InstalledClock;
  /** Epoch milliseconds of the simulated now. */
  now(): number;
  /** Moves the clock forward by `ms` (see the header); resolves with now. */
  advance(ms: number): Promise<number>;
  /** Moves the clock forward to `epochMs` (no-op if already past it); resolves with now. */
  advanceTo(epochMs: number): Promise<number>;
  /** Whether a jump is in progress. */
  readonly jumping: boolean;
  /** Runs `fn` once the current jump has reached its target (coalesces periodic work). */
  afterJump(fn: () => void): void;
  /** Fake timers waiting to fire, and when the next one-shot timer is due. */
  timers(): { pending: number; nextAt?: number };
  uninstall(): void;
}

let current: ControllableClock | undefined;

type FakeTimer = { callAt: number; type?: string };

/** The pending fake timers (fake-timers 15 keeps them in `clock.timers`, a Map). */
function pendingTimers(clock: InstalledClock): FakeTimer[] {
  const timers = (clock as unknown as { timers?: Map<unknown, FakeTimer> | Record<string, FakeTimer> }).timers;
  if (!timers) return [];
  return timers instanceof Map ? [...timers.values()] : Object.values(timers);
}

/**
 * When the next one-shot timer is due. Intervals are left out: the app has none, and Node's
 * HTTP server checks its connections every 30 s (a day's jump would otherwise take 2880 steps);
 * intervals due in a jump still fire, all at once with the step they fall in.
 */
function nextTimeoutAt(clock: InstalledClock): number | undefined {
  const due = pendingTimers(clock).filter((t) => t.type !== "Interval").map((t) => t.callAt);
  return due.length ? Math.min(...due) : undefined;
}

/** Installs the controllable clock on globalThis (once; later calls return the same). */
export function installControllableClock(): ControllableClock {
  if (current) return current;
  const clock = install({
    now: Date.now(),
    toFake: ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"],
    // Time flows by our own follower below, not fake-timers' shouldAdvanceTime: that one adds
    // a fixed step per interval callback, so the clock falls behind whenever the event loop
    // is busy (DynamoDB Local starting, a burst of requests). Ours adds the real time elapsed.
    shouldAdvanceTime: false,
    // The AWS SDK clears timer ids it never set (-1); pass such clears to the real functions.
    shouldClearNativeTimers: true,
  });
  installLongTimers(); // over the fake setTimeout: waits of more than 24.8 days
  let paused = false;
  let lastReal = realNow();
  const follower = realSetInterval(() => {
    if (paused) return;
    const elapsed = Math.floor(realNow() - lastReal);
    if (elapsed < 1) return;
    lastReal += elapsed;
    try {
      clock.tick(elapsed);
    } catch (error) {
      // A timer callback threw (with real timers that is an uncaught exception).
      console.error("[local-clock] a timer callback threw:", error);
    }
  }, FOLLOW_EVERY_MS);

  /** Fires the timers due up to `to` with time standing still meanwhile. */
  async function tickTo(to: number) {
    paused = true;
    try {
      await clock.tickAsync(Math.max(0, to - clock.now));
    } finally {
      lastReal = realNow();
      paused = false;
    }
  }

  let jumping = false;
  let deferred: Array<() => void> = [];
  async function jumpTo(target: number): Promise<number> {
    jumping = true;
    try {
      for (let steps = 1; ; steps++) {
        await whenIdle(); // time keeps flowing while the app works
        if (clock.now >= target) break;
        const next = nextTimeoutAt(clock);
        if (next === undefined || next > target || steps > MAX_STEPS) {
          if (steps > MAX_STEPS) console.warn(`[local-clock] more than ${MAX_STEPS} timers in one jump: firing the rest without waiting in between`);
          await tickTo(target);
          break;
        }
        await tickTo(Math.max(next, clock.now));
      }
    } finally {
      jumping = false;
      const run = deferred;
      deferred = [];
      for (const fn of run) fn();
    }
    await whenIdle();
    return clock.now;
  }

  // One jump at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = (target: () => number) => {
    const run = queue.then(() => jumpTo(target()));
    queue = run.catch(() => undefined);
    return run;
  };
  const controllable: ControllableClock = {
    clock,
    now: () => clock.now,
    advance: (ms) => {
      const from = clock.now;
      return enqueue(() => Math.max(from, clock.now) + Math.max(0, Math.round(ms)));
    },
    advanceTo: (epochMs) => enqueue(() => Math.round(epochMs)),
    get jumping() {
      return jumping;
    },
    afterJump(fn) {
      if (jumping) deferred.push(fn);
      else fn();
    },
    timers() {
      const nextAt = nextTimeoutAt(clock);
      return { pending: pendingTimers(clock).length, ...(nextAt !== undefined ? { nextAt } : {}) };
    },
    uninstall() {
      realClearInterval(follower);
      clock.uninstall();
      current = undefined;
    },
  };
  current = controllable;
  return controllable;
}

export function controllableClock(): ControllableClock | undefined {
  return current;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

function view(controllable: ControllableClock) {
  const now = controllable.now();
  const { pending, nextAt } = controllable.timers();
  return {
    now: new Date(now).toISOString(),
    epochMs: now,
    pendingTimers: pending,
    ...(nextAt !== undefined ? { nextTimerAt: new Date(nextAt).toISOString() } : {}),
  };
}

/**
 * `GET /local/clock` → `{ now, epochMs, pendingTimers, nextTimerAt? }`;
 * `POST /local/clock` with `{ "advanceMs": n }` or `{ "to": "<ISO time>" }` → moves the clock
 * forward (never back: 400), fires what falls due, waits until what that set off is done, then
 * answers like GET plus `advancedMs`.
 */
export function clockRoutes(controllable: ControllableClock) {
  return {
    "GET /local/clock": async (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      reply(res, 200, view(controllable));
    },
    "POST /local/clock": async (req: IncomingMessage, res: ServerResponse) => {
      let body: { advanceMs?: unknown; to?: unknown };
      try {
        body = (await readJson(req)) as typeof body;
      } catch {
        return reply(res, 400, { error: { code: "INVALID_JSON", message: "Request body is not valid JSON" } });
      }
      const bad = (message: string) => reply(res, 400, { error: { code: "INVALID_CLOCK_CHANGE", message } });
      if (!body || typeof body !== "object" || (body.advanceMs === undefined) === (body.to === undefined)) {
        return bad('Send either { "advanceMs": <milliseconds> } or { "to": "<ISO time>" }');
      }
      const before = controllable.now();
      let change: () => Promise<number>;
      if (body.advanceMs !== undefined) {
        const ms = body.advanceMs;
        if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
          return bad("advanceMs must be a number ≥ 0 (the clock never goes back)");
        }
        change = () => controllable.advance(ms);
      } else {
        const to = typeof body.to === "string" ? Date.parse(body.to) : NaN;
        if (Number.isNaN(to)) return bad("to must be an ISO 8601 time");
        if (to < before) return bad(`to (${body.to}) is before now (${new Date(before).toISOString()}): the clock never goes back`);
        change = () => controllable.advanceTo(to);
      }
      try {
        await change();
        reply(res, 200, { ...view(controllable), advancedMs: controllable.now() - before });
      } catch (error) {
        console.error("[local-clock] advancing the clock:", error);
        reply(res, 500, { error: { code: "CLOCK_TIMER_FAILED", message: `a timer callback threw: ${(error as Error).message}` } });
      }
    },
  };
}
