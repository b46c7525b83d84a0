/**
 * Per-route throttling of the HTTP API: every route of the route table gets a rate (requests
 * per second, steady) and a burst (the token bucket above it), applied as the API stage's
 * RouteSettings. These limits are for the whole stage (all callers together), a ceiling that
 * keeps one route from eating the account's Lambda concurrency and DynamoDB capacity; limits per
 * caller IP are the edge WebACL's job (stacks/Waf.ts).
 *
 * A route's limits are derived from what it does — its method and its table access — unless it
 * is named in `overrides`, for routes whose cost or risk the derivation cannot see.
 */
import { parseRouteKey, type RouteDefinition, type RouteKey, routeEntries } from "../functions/routes";

export interface Throttle {
  /** Steady requests per second. */
  rate: number;
  /** Requests above the steady rate that may arrive at once. */
  burst: number;
}

/** The stage's default (DefaultRouteSettings): what a route without its own entry would get. */
export const defaultThrottle: Throttle = { rate: 50, burst: 100 };

/**
 * By what a route does:
 * - `public`: unauthenticated (health, the OpenAPI document) — nobody needs them often, and
 *   anyone can call them;
 * - `read`: a GET that only reads the table — the bulk of the traffic (lists, slots, types);
 * - `write`: anything that writes, including GETs whose read is audited (one more transaction
 *   per call) — each call is one or more DynamoDB transactions, so a lower ceiling.
 */
export const derivedThrottles = {
  public: { rate: 10, burst: 20 },
  read: defaultThrottle,
  write: { rate: 20, burst: 40 },
} as const satisfies Record<string, Throttle>;

/**
 * Routes whose limits are set by hand. Keys are route keys of the route table (a typo does not
 * compile). Each is stricter than its derived class, for the reason given.
 */
export const throttleOverrides: Partial<Record<RouteKey, Throttle>> = {
  // Booking: the most expensive call (several reads, then a transaction per attempt with
  // retries), and the one a script would hammer to hoard slots or hold them as pending. 10/s is
  // 36 000 bookings an hour for the region, far above any real clinic's rate.
  "POST /api/appointments": { rate: 10, burst: 20 },
  // Reschedule: same transaction shape as booking (new claims, released claims, version).
  "POST /api/appointments/{id}/reschedule": { rate: 10, burst: 20 },
  // Emergency notice: one call fans out to every patient booked at a clinic on a day, on every
  // channel, ignoring quiet hours. A handful of admins send one now and then; a runaway client
  // must not be able to send dozens.
  "POST /api/admin/notifications/emergency": { rate: 1, burst: 2 },
  // Admin reports scan a clinic's (or the region's) days: expensive reads, few callers.
  "GET /api/admin/appointments/metrics": { rate: 5, burst: 10 },
  "GET /api/admin/appointments/audit": { rate: 5, burst: 10 },
};

/** The class a route falls in, from its declaration. */
export function throttleClass(routeKey: string, route: RouteDefinition): keyof typeof derivedThrottles {
  if (route.roles === "public") return "public";
  const { method } = parseRouteKey(routeKey);
  return method === "GET" && route.table !== "write" ? "read" : "write";
}

export function throttleFor(routeKey: RouteKey, route: RouteDefinition): Throttle {
  return throttleOverrides[routeKey] ?? derivedThrottles[throttleClass(routeKey, route)];
}

/** Every route of the route table with its limits. */
export function routeThrottles(): Array<[RouteKey, Throttle]> {
  return routeEntries().map(([routeKey, route]) => [routeKey, throttleFor(routeKey, route)]);
}
