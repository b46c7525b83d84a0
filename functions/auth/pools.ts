/**
 * The two user pools as the API sees them: which groups each may hand out, and the environment
 * the Lambda authorizer finds them in. Declarations only — read by the Auth and Api stacks and
 * by functions/auth/*.
 */
import type { Pool } from "../lib/authorizer-context";
import type { Role } from "../routes";

/**
 * The groups each pool's tokens may carry. Patients: `patient`, given to every patient by the
 * pre-token-generation trigger (patient-groups.ts), since self-signed-up users join no group.
 * Staff: the groups an administrator puts a staff user in.
 */
export const poolGroups = {
  patients: ["patient"],
  staff: ["doctor", "nurse", "admin", "support"],
} as const satisfies Record<Pool, readonly Role[]>;

/** Environment variables of the authorizer: each pool's id and its app client's id. */
export const poolEnv = {
  patients: { userPoolId: "PATIENTS_USER_POOL_ID", clientId: "PATIENTS_CLIENT_ID" },
  staff: { userPoolId: "STAFF_USER_POOL_ID", clientId: "STAFF_CLIENT_ID" },
} as const satisfies Record<Pool, { userPoolId: string; clientId: string }>;

/**
 * The staff functions that manage staff accounts (functions/lib/staff-accounts.ts) find the staff
 * pool in `poolEnv.staff.userPoolId`. This one is set by the local runtime only: its stand-in for
 * Cognito's admin API, which the same SDK client is pointed at (packages/local/src/cognito-admin.ts).
 */
export const COGNITO_ENDPOINT_ENV = "CAREBOOK_COGNITO_ENDPOINT";

/**
 * The header CloudFront adds to every request it forwards to the API, and the authorizer's
 * variable with its expected value: a request that reached API Gateway's own endpoint directly
 * (around the edge WebACL) lacks it and is refused.
 */
export const ORIGIN_VERIFY_HEADER = "x-origin-verify";
export const ORIGIN_VERIFY_ENV = "ORIGIN_VERIFY_SECRET";
