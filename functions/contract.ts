/**
 * The API as a typed contract, for the handlers and for clients (the web app's typed client,
 * packages/web/src/api/client.ts): what each route of the route table (./routes.ts) takes — the
 * zod schemas' input types — and what it answers on success — the type its entry declares with
 * `returns<T>()`, which `httpHandler` holds the handler to. Types only, but for `returns`.
 */
import type { z } from "zod";
import type { RouteKey, routes } from "./routes";

declare const returned: unique symbol;
/** The type of a route's success body; it has no runtime content. */
export interface Returns<T> {
  readonly [returned]?: T;
}
/** In a route entry: `response: returns<AppointmentView>()`. */
export const returns = <T>(): Returns<T> => ({});

/** A core function's resolved result (for a route's `response`). */
export type Result<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

type Route<K extends RouteKey> = (typeof routes)[K];
type RequestPart<K extends RouteKey, P extends "body" | "query" | "path"> = Route<K> extends { request: { [Q in P]: infer S extends z.ZodType } }
  ? S
  : undefined;

/** The JSON body a client sends (the schema's input: before defaults and transforms). */
export type BodyOf<K extends RouteKey> = RequestPart<K, "body"> extends z.ZodType ? z.input<RequestPart<K, "body">> : undefined;
/** The query string's parameters a client sends. */
export type QueryOf<K extends RouteKey> = RequestPart<K, "query"> extends z.ZodType ? z.input<RequestPart<K, "query">> : undefined;
/** The success body (`unknown` for a route whose entry declares none). */
export type ResponseOf<K extends RouteKey> = Route<K> extends { response: Returns<infer T> } ? T : unknown;

/** `"GET /api/appointments/{id}/cancel"` → `"id"`. */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;
/** The path's parameters, from the route key itself. */
export type PathOf<K extends RouteKey> = [ParamNames<K>] extends [never] ? undefined : { [N in ParamNames<K>]: string };

export type { RouteKey };
