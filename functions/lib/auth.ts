import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { ForbiddenError, UnauthorizedError } from "@carebook/core/errors";
import type { Role } from "../routes";

export interface Caller {
  sub: string;
  roles: Role[];
  /** The role the request acts in: the first allowed role the caller has. */
  role: Role;
  email?: string;
}

const knownRoles: ReadonlySet<string> = new Set(["patient", "doctor", "nurse", "admin", "support"]);

/**
 * API Gateway's JWT authorizer hands list claims to Lambda as the string "[a b]";
 * a test or another integration may pass a real array or "a,b". All mean the same groups.
 */
export function parseGroups(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== "string" || claim.trim() === "") return [];
  const inner = claim.trim().replace(/^\[/, "").replace(/\]$/, "");
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** Reads the caller from the authorizer's claims and checks the route's roles. */
export function authorize(
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  allowed: readonly Role[],
): Caller {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== "string" || sub === "") throw new UnauthorizedError();
  const roles = parseGroups(claims?.["cognito:groups"]).filter((g): g is Role => knownRoles.has(g));
  const role = allowed.find((r) => roles.includes(r));
  if (!role) throw new ForbiddenError();
  const email = typeof claims?.email === "string" ? claims.email : undefined;
  return { sub, roles, role, email };
}
