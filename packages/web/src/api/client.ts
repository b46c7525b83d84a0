/**
 * The typed API client. Every call names a route of the route table by its key
 * ("POST /api/appointments"); what it takes (path parameters, query, body: the zod schemas'
 * input types) and what it answers (the type the route's entry declares) come from
 * functions/contract.ts — types only, nothing of the server is bundled.
 */
import type { BodyOf, PathOf, QueryOf, ResponseOf, RouteKey } from "../../../../functions/contract";
import { config } from "../config";

export type { ResponseOf, RouteKey };

/** An API error answer `{ error: { code, message, details } }`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Part<Name extends string, T> = [T] extends [undefined] ? { [N in Name]?: undefined } : { [N in Name]: T };
export type CallArgs<K extends RouteKey> = Part<"path", PathOf<K>> &
  Part<"body", BodyOf<K>> & {
    query?: QueryOf<K>;
    /** Sent as `Idempotency-Key`: a retry of the same request is answered once. */
    idempotencyKey?: string;
    signal?: AbortSignal;
  };

export interface ClientOptions {
  /** The bearer token, read at each call (it is refreshed in between). */
  token: () => Promise<string | undefined>;
  /** A 401: the session is over. */
  onUnauthorized?: () => void;
  baseUrl?: string;
}

/** `"GET /api/appointments/{id}"` + `{ id: "a1" }` → `["GET", "/api/appointments/a1"]`. */
export function requestLine(key: string, path: Record<string, string> | undefined): [string, string] {
  const space = key.indexOf(" ");
  const template = key.slice(space + 1);
  const url = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = path?.[name];
    if (value === undefined) throw new Error(`Missing path parameter "${name}" for ${key}`);
    return encodeURIComponent(value);
  });
  return [key.slice(0, space), url];
}

function queryString(query: unknown): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    if (value !== undefined && value !== null && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function createClient(options: ClientOptions) {
  const baseUrl = options.baseUrl ?? config.apiUrl;
  return async function call<K extends RouteKey>(key: K, args: CallArgs<K>): Promise<ResponseOf<K>> {
    const [method, path] = requestLine(key, args.path as Record<string, string> | undefined);
    const headers: Record<string, string> = { accept: "application/json" };
    const token = await options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (args.body !== undefined) headers["content-type"] = "application/json";
    if (args.idempotencyKey) headers["idempotency-key"] = args.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}${queryString(args.query)}`, {
        method,
        headers,
        body: args.body === undefined ? undefined : JSON.stringify(args.body),
        signal: args.signal,
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ApiError(0, "NETWORK", "Carebook cannot be reached. Check your connection and try again.");
    }
    const text = await response.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      if (response.status === 401) options.onUnauthorized?.();
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText, error?.details);
    }
    return parsed as ResponseOf<K>;
  };
}

export type Call = ReturnType<typeof createClient>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
