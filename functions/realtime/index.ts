/**
 * The WebSocket API's table, declared once like functions/routes.ts: its route keys and the
 * Lambda behind each, the authorizer of `$connect`, how the API selects a route, and the
 * environment the handlers read. The Realtime stack deploys it (API Gateway WebSocket API);
 * the local runtime serves it on the HTTP server's port (packages/local/src/websocket.ts) with
 * the same handlers. The bus consumer that pushes the domain events to the connections is in
 * the events table (functions/events/index.ts, `pushConsumers`). Pure data; docs/realtime.md
 * has the protocol.
 */
import type { TableAccess } from "../routes";

/** Where clients connect, locally: the same HTTP server and port as the API. */
export const LOCAL_WEBSOCKET_PATH = "/ws";
/** The query parameter carrying the JWT on connect (browsers cannot set headers on a WebSocket). */
export const TOKEN_QUERY_PARAMETER = "token";
/** API Gateway's route selection: a message's `action` names its route; anything else is `$default`. */
export const ROUTE_SELECTION_EXPRESSION = "$request.body.action";
/**
 * The management API's endpoint (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`, or
 * the local runtime's stand-in), where pushes are posted — set for the fan-out consumer.
 */
export const REALTIME_ENDPOINT_ENV = "CAREBOOK_REALTIME_ENDPOINT";

export interface RealtimeFunction {
  /** `path/to/module.exportName`. */
  handler: string;
  table: TableAccess;
  description: string;
  /** The route keys this Lambda serves. */
  routes: readonly string[];
  /** Its answer's body goes back to the client as a message (a route response). */
  replies: boolean;
}

export const realtimeFunctions = {
  connect: {
    handler: "functions/realtime/connect.handler",
    // Reads the caller's staff record; writes the connection and its identity topics.
    table: "write",
    description: "Registers an authorized connection: its user's topic and, for staff, their clinics'",
    routes: ["$connect"],
    replies: false,
  },
  disconnect: {
    handler: "functions/realtime/disconnect.handler",
    table: "write",
    description: "Removes a closed connection and its subscriptions",
    routes: ["$disconnect"],
    replies: false,
  },
  messages: {
    handler: "functions/realtime/messages.handler",
    table: "write",
    description: "Answers a client's messages: subscribe or unsubscribe a clinic's day of slots, ping; an error otherwise",
    routes: ["subscribe", "unsubscribe", "$default"],
    replies: true,
  },
} as const satisfies Record<string, RealtimeFunction>;

export type RealtimeFunctionName = keyof typeof realtimeFunctions;

/** The `$connect` route's REQUEST authorizer: the same verification as the HTTP API's, without
 * its CloudFront origin check (nothing stands in front of the WebSocket API). */
export const connectAuthorizer = {
  handler: "functions/realtime/authorizer.handler",
  identitySource: [`route.request.querystring.${TOKEN_QUERY_PARAMETER}`],
} as const;

export function realtimeFunctionEntries(): Array<[RealtimeFunctionName, RealtimeFunction]> {
  return Object.entries(realtimeFunctions) as Array<[RealtimeFunctionName, RealtimeFunction]>;
}

/** Route key → the function serving it. */
export function realtimeRouteEntries(): Array<[routeKey: string, name: RealtimeFunctionName, fn: RealtimeFunction]> {
  return realtimeFunctionEntries().flatMap(([name, fn]) => fn.routes.map((routeKey): [string, RealtimeFunctionName, RealtimeFunction] => [routeKey, name, fn]));
}
