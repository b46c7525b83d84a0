/**
 * What the API's authorizer hands to every route's Lambda, in one shape for production and
 * the local runtime.
 *
 * Production: patients and staff live in two Cognito user pools; an HTTP API JWT authorizer
 * trusts exactly one issuer, so the API uses a Lambda authorizer (functions/auth/authorizer.ts)
 * that verifies a token of either pool and returns this context (API Gateway puts it at
 * `event.requestContext.authorizer.lambda`). The local runtime verifies tokens of its local
 * issuer and builds the same context with the same function.
 *
 * Lambda authorizer context values must be strings, numbers or booleans: groups travel as one
 * space-separated string.
 */
export type Pool = "patients" | "staff";

export interface AuthorizerContext {
  sub: string;
  /** Space-separated `cognito:groups`. */
  groups: string;
  /** Empty when the token carries none (access tokens). */
  email: string;
  pool: Pool;
}

/** Builds the context from a verified token's payload. */
export function authorizerContext(payload: Record<string, unknown>, pool: Pool): AuthorizerContext {
  const groups = payload["cognito:groups"];
  return {
    sub: String(payload.sub ?? ""),
    groups: Array.isArray(groups) ? groups.map(String).join(" ") : typeof groups === "string" ? groups : "",
    email: typeof payload.email === "string" ? payload.email : "",
    pool,
  };
}

/** Reads the context back from an API Gateway v2 event's request context, if there is one. */
export function readAuthorizerContext(requestContext: unknown): AuthorizerContext | undefined {
  return fromValues((requestContext as { authorizer?: { lambda?: unknown } } | undefined)?.authorizer?.lambda);
}

/**
 * The same, from a WebSocket API event: a REQUEST authorizer's context reaches the $connect
 * route at `requestContext.authorizer` itself (beside `principalId`), not under `lambda`.
 */
export function readConnectionAuthorizerContext(requestContext: unknown): AuthorizerContext | undefined {
  return fromValues((requestContext as { authorizer?: unknown } | undefined)?.authorizer);
}

function fromValues(values: unknown): AuthorizerContext | undefined {
  const context = values as Partial<AuthorizerContext> | undefined;
  if (!context || typeof context.sub !== "string" || context.sub === "") return undefined;
  const pool = context.pool === "staff" ? "staff" : context.pool === "patients" ? "patients" : undefined;
  if (!pool) return undefined;
  return {
    sub: context.sub,
    groups: typeof context.groups === "string" ? context.groups : "",
    email: typeof context.email === "string" ? context.email : "",
    pool,
  };
}
