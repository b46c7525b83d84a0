/**
 * The API's Lambda authorizer (simple responses): verifies a bearer token of either user pool —
 * signature against the pool's JWKS, issuer, app client, expiry, `token_use` id or access — and
 * hands the route's Lambda the caller as functions/lib/authorizer-context.ts describes it.
 *
 * Why not API Gateway's JWT authorizer: it trusts exactly one issuer, and patients and staff
 * live in two pools (docs/auth-and-edge.md).
 *
 * It never throws: anything that is not a valid token of a known pool — no header, a malformed
 * or expired token, another pool's client, groups the pool does not hand out, a missing origin
 * header, even missing configuration — is `isAuthorized: false` (API Gateway answers 403).
 */
import { timingSafeEqual } from "node:crypto";
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  APIGatewaySimpleAuthorizerWithContextResult,
} from "aws-lambda";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import type { JwksCache } from "aws-jwt-verify/jwk";
import { type AuthorizerContext, authorizerContext, type Pool } from "../lib/authorizer-context";
import { logger } from "../lib/logger";
import { ORIGIN_VERIFY_ENV, ORIGIN_VERIFY_HEADER, poolEnv, poolGroups } from "./pools";

export interface AuthorizerConfig {
  pools: Record<Pool, { userPoolId: string; clientId: string }>;
  /** The value CloudFront's origin header must have; unset, the header is not checked. */
  originVerify?: string;
  /** Tests hand in their own JWKS; production fetches each pool's JWKS once per container. */
  jwksCache?: JwksCache;
}

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext> | APIGatewaySimpleAuthorizerResult;

const deny: APIGatewaySimpleAuthorizerResult = { isAuthorized: false };

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Bearer <token>` (scheme case-insensitive) → the token. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/** What verifying a token needs: the two pools (and, in tests, their JWKS). */
export type TokenVerifierConfig = Pick<AuthorizerConfig, "pools" | "jwksCache">;

/**
 * Verifies a token of either pool — signature against the pool's JWKS, issuer, app client,
 * expiry, `token_use` id or access, groups the pool hands out — and gives the caller as routes
 * see it; undefined for anything else (never throws). The HTTP API's authorizer below and the
 * WebSocket API's (functions/realtime/authorizer.ts) share it.
 */
export function createTokenVerifier(config: TokenVerifierConfig) {
  const pools = Object.entries(config.pools) as Array<[Pool, { userPoolId: string; clientId: string }]>;
  const verifier = CognitoJwtVerifier.create(
    pools.map(([, { userPoolId, clientId }]) => ({ userPoolId, clientId, tokenUse: null })),
    config.jwksCache ? { jwksCache: config.jwksCache } : undefined,
  );
  // The issuer is `https://cognito-idp.<region>.amazonaws.com/<pool id>` (the verifier has
  // already checked it is one of these pools'); its last segment says which.
  const poolOfIssuer = (iss: unknown): Pool | undefined =>
    pools.find(([, { userPoolId }]) => typeof iss === "string" && iss.endsWith(`/${userPoolId}`))?.[0];

  return async function verifyToken(token: string): Promise<AuthorizerContext | undefined> {
    try {
      const payload = await verifier.verify(token);
      const pool = poolOfIssuer(payload.iss);
      if (!pool) return undefined;
      // Defence in depth: a pool's tokens carry only that pool's groups (a staff group in the
      // patients pool would be a misconfiguration, or an attempt to create one).
      const groups = payload["cognito:groups"] ?? [];
      const allowed: readonly string[] = poolGroups[pool];
      if (!groups.every((group) => allowed.includes(group))) {
        logger.warn("Token carries groups its pool does not hand out", { pool, sub: payload.sub });
        return undefined;
      }
      return authorizerContext(payload, pool);
    } catch (error) {
      // Expired, wrong client, bad signature, unknown issuer, JWKS unreachable: all refused.
      logger.info("Token refused", { reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  };
}

export function createAuthorizer(config: AuthorizerConfig) {
  const verifyToken = createTokenVerifier(config);
  return async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> {
    // API Gateway hands HTTP API authorizers lower-cased header names.
    const headers = event.headers ?? {};
    if (config.originVerify !== undefined && !sameSecret(headers[ORIGIN_VERIFY_HEADER], config.originVerify)) {
      logger.warn("Request did not come through the edge distribution", { routeKey: event.routeKey });
      return deny;
    }
    const token = bearerToken(headers.authorization);
    const context = token ? await verifyToken(token) : undefined;
    return context ? { isAuthorized: true, context } : deny;
  };
}

/** Each pool's id and app client id, from the variables the Api and Realtime stacks set. */
export function poolsFromEnv(env: NodeJS.ProcessEnv): AuthorizerConfig["pools"] {
  const value = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set`);
    return v;
  };
  return Object.fromEntries(
    Object.entries(poolEnv).map(([pool, names]) => [
      pool,
      { userPoolId: value(names.userPoolId), clientId: value(names.clientId) },
    ]),
  ) as AuthorizerConfig["pools"];
}

/** The configuration the Api stack gives the deployed authorizer. */
export function configFromEnv(env: NodeJS.ProcessEnv): AuthorizerConfig {
  return { pools: poolsFromEnv(env), originVerify: env[ORIGIN_VERIFY_ENV] || undefined };
}

let fromEnv: ReturnType<typeof createAuthorizer> | undefined;

export async function handler(event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> {
  try {
    // Created on the first request (not at import), so a missing variable is a deny, not a crash;
    // the verifier then keeps each pool's JWKS for the container's life.
    fromEnv ??= createAuthorizer(configFromEnv(process.env));
  } catch (error) {
    logger.error("Authorizer is not configured", { error: error instanceof Error ? error.message : String(error) });
    return deny;
  }
  return fromEnv(event);
}
