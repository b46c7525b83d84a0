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
  const lambda = (requestContext as { authorizer?: { lambda?: Partial<AuthorizerContext> } } | undefined)?.authorizer
    ?.lambda;
  if (!lambda || typeof lambda.sub !== "string" || lambda.sub === "") return undefined;
  const pool = lambda.pool === "staff" ? "staff" : lambda.pool === "patients" ? "patients" : undefined;
  if (!pool) return undefined;
  return {
    sub: lambda.sub,
    groups: typeof lambda.groups === "string" ? lambda.groups : "",
    email: typeof lambda.email === "string" ? lambda.email : "",
    pool,
  };
}
