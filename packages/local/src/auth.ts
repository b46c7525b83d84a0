/**
 * A local stand-in for Carebook's two Cognito user pools, and for the Lambda authorizer that
 * verifies their tokens before a route's Lambda runs.
 *
 * Pools, as in production (functions/lib/authorizer-context.ts):
 * - `patients`: self sign-up (group `patient`), TOTP optional (a patient who enrolled one must
 *   give a code);
 * - `staff`: created by an administrator (here: seeded, or `addUser`), groups doctor, nurse,
 *   admin, support; TOTP required.
 * Each pool has its own issuer (`${issuerUrl}/pools/<pool>`), signing key, JWKS and app client
 * id (`aud` of id tokens, `client_id` of access tokens). A pool's tokens never carry another
 * pool's groups: `addUser` refuses such a user, tokens are minted with the pool's groups only,
 * and `verifyBearer` refuses a token that claims others. Emails are unique across both pools
 * here (one sign-in endpoint serves both), which also keeps sign-up from ever reaching a staff
 * account.
 *
 * Sign-in (`issueTokens`): password, then — when the account has TOTP — the code (RFC 6238,
 * totp.ts). A code is accepted once: a second use of the same code is refused, as Cognito does.
 * Errors, all 401 `{ error: { code, message } }`:
 *   UNAUTHORIZED        wrong email or password (unknown emails answered alike)
 *   MFA_REQUIRED        right password, no code sent
 *   MFA_SETUP_REQUIRED  staff account with no TOTP enrolled yet
 *   MFA_CODE_MISMATCH   wrong code
 *   MFA_CODE_REUSED     a code already used
 *   ACCOUNT_LOCKED      see lockout
 *   USER_DISABLED       the account is disabled (Cognito: NotAuthorizedException "User is disabled")
 *
 * Lockout: 5 consecutive failures (wrong password or wrong code) lock the account for 15
 * minutes on the issuer's clock; while locked even the right password is refused. A successful
 * sign-in resets the count. We answer **401** with code `ACCOUNT_LOCKED` (and `details.lockedUntil`),
 * not 429: this mirrors Cognito, which answers NotAuthorizedException ("Password attempts
 * exceeded"), and it is a statement about the account, not about the caller's request rate. A
 * missing code and a replayed code do not count as failures: neither is a guess. Unknown emails
 * never lock, so a lock tells that an account exists — as with Cognito; acceptable locally.
 *
 * Hosted sign-in (hosted-signin.ts: Cognito's authorization code flow with PKCE, per pool) signs in
 * through the same `issueTokens`, naming the pool whose page was used: an account of the other
 * pool is then answered like an unknown email, as another Cognito pool would. Refreshing and
 * revoking through a pool's endpoints likewise only reach that pool's sessions.
 *
 * Refresh tokens: every sign-in starts a session with an opaque random refresh token (30 days;
 * stored only as its SHA-256). Refreshing returns new id/access tokens with the session's
 * `origin_jti` and `auth_time`. Revoking a refresh token ends its session: the refresh token
 * stops working and every id/access token of the session (same `origin_jti`) is refused by
 * `verifyBearer` — Cognito's RevokeToken. Other sessions of the same user are untouched.
 *
 * Administration (Cognito's Admin* calls, served to the staff functions by cognito-admin.ts):
 * `setGroups`, `setEnabled` (a disabled account cannot sign in or refresh) and
 * `signOutEverywhere` (every session of the user revoked, as AdminUserGlobalSignOut).
 *
 * Persisted in `dataDir` (in memory when omitted): `issuer-key-<pool>.json` (signing keys),
 * `users.json` (users, TOTP secrets, used codes, failure counts and locks) and `sessions.json`
 * (refresh-token hashes and revocations, kept until no token of the session can be valid).
 *
 * Refused outside the local runtime (see `assertLocalRuntime`): this issuer mints tokens for
 * any password it stores, which is only acceptable on a developer's offline machine.
 */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from "jose";
import { z } from "zod";
import { ConflictError, DomainError, NotFoundError, UnauthorizedError, ValidationError } from "@carebook/core/errors";
import type { Pool } from "../../../functions/lib/authorizer-context";
import { isTotpSecret, matchTotp, newTotpSecret, totpStep, totpUri, TOTP_WINDOW } from "./totp";

export type { Pool };

export const TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const POOLS: readonly Pool[] = ["patients", "staff"];
/** The groups each pool's users may be in. */
export const POOL_GROUPS: Readonly<Record<Pool, readonly string[]>> = {
  patients: ["patient"],
  staff: ["doctor", "nurse", "admin", "support"],
};
const ALG = "RS256";
const INVALID_CREDENTIALS = "Incorrect email or password";

// ---------------------------------------------------------------------------------------
// Types

export interface LocalUser {
  sub: string;
  email: string;
  name: string;
  groups: string[];
  pool: Pool;
  /** Whether sign-in asks for a TOTP code. */
  totpEnabled: boolean;
  /** False once an administrator disabled the account. */
  enabled: boolean;
  createdAt: string;
}

interface StoredUser extends Omit<LocalUser, "totpEnabled" | "enabled"> {
  disabled?: boolean;
  passwordHash: string;
  createdAt: string;
  /** Base32; present once TOTP is enrolled. */
  totpSecret?: string;
  /** Time steps whose code was accepted and may still be inside the window (replay guard). */
  usedTotpSteps?: number[];
  /** Consecutive failed sign-ins since the last success or lock. */
  failedSignIns?: number;
  /** ISO time until which sign-in is refused. */
  lockedUntil?: string;
}

/** A sign-in's refresh token and the tokens derived from it. */
interface Session {
  originJti: string;
  /** SHA-256 (hex) of the refresh token; the token itself is never stored. */
  tokenHash: string;
  sub: string;
  email: string;
  pool: Pool;
  /** Epoch seconds of the sign-in: `auth_time` of every token of the session. */
  authTime: number;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: "Bearer";
}

export type RefreshedTokens = Omit<Tokens, "refreshToken">;

export interface PoolInfo {
  pool: Pool;
  /** `iss` of the pool's tokens; its JWKS is at `${issuerUrl}/.well-known/jwks.json`. */
  issuerUrl: string;
  /** The app client id: `aud` of id tokens, `client_id` of access tokens. */
  clientId: string;
}

/** A token that passed verification, and the pool that issued it. */
export interface VerifiedToken {
  payload: JWTPayload;
  pool: Pool;
}

export interface LocalIssuerOptions {
  /** Persist the signing keys, users and sessions here; in memory when omitted. */
  dataDir?: string;
  /** Where /local-auth is served, e.g. "http://127.0.0.1:3000/local-auth". Pool p's issuer
   * (`iss`) is `${issuerUrl}/pools/<p>`. */
  issuerUrl: string;
  /** Prefix of the app client ids: `${audience}-patients`, `${audience}-staff`. */
  audience: string;
  /** Clock in epoch milliseconds (tests). Default `Date.now` (the controllable clock when installed). */
  now?: () => number;
  /** Id/access token lifetime. Default 3600 s (Cognito's default). */
  tokenTtlSeconds?: number;
}

export interface NewUser {
  sub?: string;
  email: string;
  password: string;
  name: string;
  groups: string[];
  /** Default: `staff` when a group is a staff group, else `patients`. */
  pool?: Pool;
  /** Base32 TOTP secret to enrol (staff accounts need one to sign in). */
  totpSecret?: string;
}

export interface LocalIssuer {
  /** Where /local-auth is served. */
  readonly baseUrl: string;
  /** The issuer's clock (epoch ms): token times, locks — and hosted sign-in's codes. */
  readonly now: () => number;
  readonly pools: Readonly<Record<Pool, PoolInfo>>;
  /** Self sign-up: always the patients pool, group `patient`. */
  signUp(input: { email: string; password: string; name: string }): Promise<LocalUser>;
  /** Admin-created user (seed, tests). Idempotent: an existing user is returned as is, except
   * that a TOTP secret is enrolled if it has none yet (data kept from before MFA). */
  addUser(input: NewUser): Promise<LocalUser>;
  /** Removes a user (e.g. to roll back a sign-up). Returns whether one was removed. */
  removeUser(email: string): Promise<boolean>;
  findUser(email: string): LocalUser | undefined;
  findUserBySub(sub: string): LocalUser | undefined;
  /** Replaces the user's groups (of its pool's groups only). */
  setGroups(sub: string, groups: string[]): Promise<LocalUser>;
  /** Enables or disables the account; a disabled one cannot sign in or refresh. */
  setEnabled(sub: string, enabled: boolean): Promise<LocalUser>;
  /** Revokes every session of the user (refresh tokens and their id/access tokens). */
  signOutEverywhere(sub: string): Promise<void>;
  listUsers(): LocalUser[];
  /** Enrols (or replaces) the user's TOTP secret; a fresh random one when none is given. */
  enrolTotp(email: string, secret?: string): Promise<{ secret: string; uri: string }>;
  /** Password sign-in (with `totp` when the account has MFA): tokens and a refresh token. With
   * `pool` (a pool's own sign-in page), an account of the other pool is refused like an unknown one. */
  issueTokens(input: { email: string; password: string; totp?: string; pool?: Pool }): Promise<Tokens>;
  /** New id/access tokens of the refresh token's session (with `pool`: only a session of that pool). */
  refreshTokens(input: { refreshToken: string; pool?: Pool }): Promise<RefreshedTokens>;
  /** Ends the refresh token's session (and its tokens). Whether a live session was revoked. With
   * `pool`, another pool's session is left alone (false), as that pool's own endpoint would. */
  revoke(input: { refreshToken: string; pool?: Pool }): Promise<boolean>;
  jwks(pool: Pool): JSONWebKeySet;
  /** What the API's authorizer checks: signature, issuer, client, expiry, groups, revocation. */
  verifyBearer(authorizationHeader: string | undefined): Promise<VerifiedToken>;
}

/** 401 `ACCOUNT_LOCKED`: too many failed sign-ins (see the module doc for why 401). */
export class AccountLockedError extends DomainError {
  readonly status = 401;
  constructor(lockedUntil: string) {
    super("ACCOUNT_LOCKED", `Too many failed sign-in attempts: the account is locked until ${lockedUntil}`, {
      lockedUntil,
    });
  }
}

// ---------------------------------------------------------------------------------------
// Guard

/** Throws when running inside AWS Lambda: the local issuer must never serve production. */
export function assertLocalRuntime(env: NodeJS.ProcessEnv = process.env): void {
  if (env.AWS_LAMBDA_FUNCTION_NAME || env.AWS_EXECUTION_ENV) {
    throw new Error(
      "The local token issuer is refused inside AWS Lambda " +
        "(AWS_LAMBDA_FUNCTION_NAME/AWS_EXECUTION_ENV is set); production uses Cognito.",
    );
  }
}

// ---------------------------------------------------------------------------------------
// Passwords (scrypt, random salt, constant-time comparison)

const SCRYPT = { N: 16_384, r: 8, p: 1, keyLength: 64 } as const;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolveHash, reject) =>
    scrypt(password.normalize("NFKC"), salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolveHash(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split("$");
  if (scheme !== "scrypt" || !n || !r || !p || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, "base64");
  const actual = await scryptAsync(password, Buffer.from(saltB64, "base64"), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Refresh tokens are 256 random bits: a fast hash is enough to make the stored form useless. */
function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

// ---------------------------------------------------------------------------------------
// Validation

const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "Invalid email address" }));

const signUpSchema = z.object({
  email: emailSchema,
  password: z.string().min(12, "Password must be at least 12 characters").max(256),
  name: z.string().trim().min(1, "Name is required").max(200),
});

const totpSecretSchema = z.string().refine(isTotpSecret, "Must be a base32 secret of at least 80 bits");

const addUserSchema = z.object({
  sub: z.string().min(1).optional(),
  email: emailSchema,
  password: z.string().min(1).max(256),
  name: z.string().trim().min(1).max(200),
  groups: z.array(z.string().min(1)),
  pool: z.enum(["patients", "staff"]).optional(),
  totpSecret: totpSecretSchema.optional(),
});

const credentialsSchema = z.object({ email: z.string(), password: z.string() });
const totpFieldSchema = z.object({ totp: z.string().trim().optional() });
const poolSchema = z.enum(["patients", "staff"]).optional();
const refreshSchema = z.object({ refreshToken: z.string().min(1, "refreshToken is required"), pool: poolSchema });

function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(
      "Request validation failed",
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        code: issue.code,
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/** The pool a new user belongs in, checked against its groups: a pool never holds another's. */
function poolFor(groups: string[], requested: Pool | undefined): Pool {
  const pool = requested ?? (groups.some((g) => POOL_GROUPS.staff.includes(g)) ? "staff" : "patients");
  const foreign = groups.filter((g) => !POOL_GROUPS[pool].includes(g));
  if (foreign.length) {
    throw new ValidationError("Groups do not belong to the user's pool", [
      { path: "groups", code: "invalid_pool_group", message: `Not groups of the ${pool} pool: ${foreign.join(", ")}` },
    ]);
  }
  return pool;
}

// ---------------------------------------------------------------------------------------
// Persistence helpers

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** Saves snapshots of a collection to `file` one after another (never interleaved); a no-op
 * without a file (in-memory issuer). */
function jsonSaver<T>(file: string | undefined, snapshot: () => T): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return () => {
    if (!file) return Promise.resolve();
    const value = snapshot();
    chain = chain.catch(() => undefined).then(() => writeJsonAtomic(file, value));
    return chain;
  };
}

interface KeyMaterial {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

async function loadOrCreateKey(file: string | undefined): Promise<KeyMaterial> {
  let privateJwk = file ? await readJson<JWK>(file) : undefined;
  if (!privateJwk) {
    const pair = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
    privateJwk = await exportJWK(pair.privateKey);
    privateJwk.kid = await calculateJwkThumbprint(privateJwk);
    privateJwk.alg = ALG;
    privateJwk.use = "sig";
    if (file) await writeJsonAtomic(file, privateJwk);
  }
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const privateKey = (await importJWK(privateJwk, ALG)) as CryptoKey;
  const { kty, n, e } = privateJwk;
  const publicJwk: JWK = { kty, n, e, kid, alg: ALG, use: "sig" };
  return { privateKey, publicJwk, kid };
}

/** A pool as the issuer runs it: its public description plus its key. */
interface RunningPool extends PoolInfo {
  key: KeyMaterial;
  jwks: JSONWebKeySet;
  keyResolver: ReturnType<typeof createLocalJWKSet>;
}

async function startPool(pool: Pool, options: LocalIssuerOptions): Promise<RunningPool> {
  const key = await loadOrCreateKey(options.dataDir && join(options.dataDir, `issuer-key-${pool}.json`));
  const jwks: JSONWebKeySet = { keys: [key.publicJwk] };
  return {
    pool,
    issuerUrl: `${options.issuerUrl.replace(/\/+$/, "")}/pools/${pool}`,
    clientId: `${options.audience}-${pool}`,
    key,
    jwks,
    keyResolver: createLocalJWKSet(jwks),
  };
}

/** Users saved before there were two pools have none recorded: their groups tell. */
function withPool(user: StoredUser): StoredUser {
  if (user.pool) return user;
  return { ...user, pool: user.groups.some((g) => POOL_GROUPS.staff.includes(g)) ? "staff" : "patients" };
}

/** The token of an Authorization header "Bearer <token>" (scheme case-insensitive), as the
 * production Lambda authorizer reads it (functions/auth/authorizer.ts): a bare token is refused. */
function bearerToken(header: string | undefined): string | undefined {
  return /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

// ---------------------------------------------------------------------------------------
// The issuer

export async function createLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  assertLocalRuntime();
  const { dataDir } = options;
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtlSeconds ?? TOKEN_TTL_SECONDS;
  if (dataDir) await mkdir(dataDir, { recursive: true });

  const running = {
    patients: await startPool("patients", options),
    staff: await startPool("staff", options),
  } satisfies Record<Pool, RunningPool>;
  const poolByIssuer = new Map(POOLS.map((p) => [running[p].issuerUrl, running[p]]));

  const usersFile = dataDir ? join(dataDir, "users.json") : undefined;
  const users = new Map<string, StoredUser>();
  for (const user of (usersFile && (await readJson<StoredUser[]>(usersFile))) || []) {
    users.set(user.email, withPool(user));
  }
  const persistUsers = jsonSaver(usersFile, () => [...users.values()]);

  const sessionsFile = dataDir ? join(dataDir, "sessions.json") : undefined;
  const sessions = new Map<string, Session>(); // by tokenHash
  const revokedOrigins = new Set<string>();
  for (const session of (sessionsFile && (await readJson<Session[]>(sessionsFile))) || []) {
    sessions.set(session.tokenHash, session);
    if (session.revokedAt) revokedOrigins.add(session.originJti);
  }
  /** A session is remembered until no token of it can still be valid (its refresh token's end
   * plus one id/access token lifetime), so a revocation outlives every token it covers. */
  const forgettable = (s: Session) => Date.parse(s.expiresAt) + ttl * 1000 < now();
  const persistSessions = jsonSaver(sessionsFile, () => {
    for (const [hash, session] of sessions) {
      if (!forgettable(session)) continue;
      sessions.delete(hash);
      revokedOrigins.delete(session.originJti);
    }
    return [...sessions.values()];
  });

  const publicUser = ({ sub, email, name, groups, pool, totpSecret, disabled, createdAt }: StoredUser): LocalUser => ({
    sub,
    email,
    name,
    groups: [...groups],
    pool,
    totpEnabled: Boolean(totpSecret),
    enabled: !disabled,
    createdAt,
  });

  const bySub = (sub: string) => [...users.values()].find((u) => u.sub === sub);
  function userOfSub(sub: string): StoredUser {
    const user = bySub(sub);
    if (!user) throw new NotFoundError("User");
    return user;
  }

  const iso = (ms: number) => new Date(ms).toISOString();

  // A hash to compare against when the email is unknown, so both failures take as long.
  const dummyHash = await hashPassword(randomBytes(16).toString("hex"));

  async function insert(input: Omit<NewUser, "pool"> & { pool: Pool }): Promise<StoredUser> {
    const passwordHash = await hashPassword(input.password);
    // Re-check after the (async) hash: another sign-up may have taken the email meanwhile.
    if (users.has(input.email)) {
      throw new ConflictError("EMAIL_TAKEN", "An account with this email already exists");
    }
    const user: StoredUser = {
      sub: input.sub ?? randomUUID(),
      email: input.email,
      name: input.name,
      groups: [...input.groups],
      pool: input.pool,
      passwordHash,
      createdAt: iso(now()),
      ...(input.totpSecret ? { totpSecret: input.totpSecret } : {}),
    };
    users.set(user.email, user);
    await persistUsers();
    return user;
  }

  // ----- sign-in checks: lock, failure count, second factor

  /** Refuses a locked account; a lock that has run out is lifted (with a fresh count). */
  function assertNotLocked(user: StoredUser): void {
    if (!user.lockedUntil) return;
    if (Date.parse(user.lockedUntil) > now()) throw new AccountLockedError(user.lockedUntil);
    delete user.lockedUntil;
    user.failedSignIns = 0;
  }

  /** Counts a failure (locking the account at the limit), saves, and throws. */
  async function failSignIn(user: StoredUser, error: DomainError): Promise<never> {
    user.failedSignIns = (user.failedSignIns ?? 0) + 1;
    if (user.failedSignIns >= MAX_FAILED_SIGN_INS) {
      user.failedSignIns = 0;
      user.lockedUntil = iso(now() + LOCKOUT_MS);
      await persistUsers();
      throw new AccountLockedError(user.lockedUntil);
    }
    await persistUsers();
    throw error;
  }

  /**
   * The second factor, when the account has (or, staff, must have) one: undefined when it
   * passes, else the refusal and whether it counts towards the lockout (only a wrong code
   * does). Synchronous from the check to recording the step, so two sign-ins racing with one
   * code cannot both pass.
   */
  function checkTotp(user: StoredUser, code: string | undefined): { error: DomainError; counts: boolean } | undefined {
    if (user.pool === "patients" && !user.totpSecret) return undefined;
    const refuse = (message: string, errorCode: string, counts = false) => ({ error: new UnauthorizedError(message, errorCode), counts });
    if (!user.totpSecret) return refuse("This staff account has no TOTP enrolled yet; ask an administrator", "MFA_SETUP_REQUIRED");
    if (!code) {
      return refuse(
        'A TOTP code is required: send the 6-digit code of your authenticator app as "totp" with the email and password',
        "MFA_REQUIRED",
      );
    }
    const step = matchTotp(user.totpSecret, code, now());
    if (step === undefined) return refuse("Incorrect TOTP code", "MFA_CODE_MISMATCH", true);
    const used = user.usedTotpSteps ?? [];
    if (used.includes(step)) return refuse("This TOTP code was already used; wait for the next one", "MFA_CODE_REUSED");
    const oldest = totpStep(now()) - TOTP_WINDOW;
    user.usedTotpSteps = [...used.filter((s) => s >= oldest), step];
    return undefined;
  }

  /** A complete sign-in clears the failure count. */
  async function recordSuccess(user: StoredUser, totpUsed: boolean): Promise<void> {
    const hadFailures = Boolean(user.failedSignIns || user.lockedUntil);
    user.failedSignIns = 0;
    delete user.lockedUntil;
    if (hadFailures || totpUsed) await persistUsers();
  }

  // ----- tokens and sessions

  async function sign(pool: RunningPool, payload: JWTPayload): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: ALG, kid: pool.key.kid }).sign(pool.key.privateKey);
  }

  async function startSession(user: StoredUser): Promise<{ session: Session; refreshToken: string }> {
    const refreshToken = randomBytes(32).toString("base64url");
    const at = now();
    const session: Session = {
      originJti: randomUUID(),
      tokenHash: hashRefreshToken(refreshToken),
      sub: user.sub,
      email: user.email,
      pool: user.pool,
      authTime: Math.floor(at / 1000),
      createdAt: iso(at),
      expiresAt: iso(at + REFRESH_TOKEN_TTL_SECONDS * 1000),
    };
    sessions.set(session.tokenHash, session);
    await persistSessions();
    return { session, refreshToken };
  }

  /** Cognito-like id and access tokens of a session, carrying the pool's groups only. */
  async function mint(user: StoredUser, session: Session): Promise<RefreshedTokens> {
    const pool = running[user.pool];
    const iat = Math.floor(now() / 1000);
    const exp = iat + ttl;
    const eventId = randomUUID();
    const poolGroups = user.groups.filter((g) => POOL_GROUPS[user.pool].includes(g));
    const groups = poolGroups.length ? { "cognito:groups": poolGroups } : {};
    const common = { sub: user.sub, ...groups, iss: pool.issuerUrl, origin_jti: session.originJti, event_id: eventId, auth_time: session.authTime, iat, exp };

    const idToken = await sign(pool, {
      ...common,
      email: user.email,
      email_verified: true,
      name: user.name,
      "cognito:username": user.sub,
      token_use: "id",
      aud: pool.clientId,
      jti: randomUUID(),
    });
    const accessToken = await sign(pool, {
      ...common,
      client_id: pool.clientId,
      token_use: "access",
      scope: "openid email profile",
      jti: randomUUID(),
      username: user.sub,
    });
    return { idToken, accessToken, expiresIn: ttl, tokenType: "Bearer" };
  }

  /** The refresh token's session while it lasts; with `pool`, only a session of that pool. */
  function liveSession(refreshToken: string, pool?: Pool): Session | undefined {
    const session = sessions.get(hashRefreshToken(refreshToken));
    if (!session || session.revokedAt || Date.parse(session.expiresAt) <= now()) return undefined;
    if (pool && session.pool !== pool) return undefined;
    return session;
  }

  /** Signature, issuer, client, time, pool groups and revocation; the pool that issued it. */
  async function verify(token: string): Promise<VerifiedToken> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new UnauthorizedError();
    }
    const pool = typeof iss === "string" ? poolByIssuer.get(iss) : undefined;
    if (!pool) throw new UnauthorizedError();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, pool.keyResolver, {
        algorithms: [ALG],
        issuer: pool.issuerUrl,
        requiredClaims: ["exp"],
        currentDate: new Date(now()),
      }));
    } catch {
      throw new UnauthorizedError();
    }
    // iat must not be in the future.
    if (typeof payload.iat === "number" && payload.iat > Math.floor(now() / 1000)) throw new UnauthorizedError();
    // aud (id tokens) — or client_id when there is no aud (access tokens) — must be the pool's client.
    const audiences = payload.aud === undefined ? [payload.client_id] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(pool.clientId)) throw new UnauthorizedError();
    const groups = payload["cognito:groups"];
    if (groups !== undefined && (!Array.isArray(groups) || groups.some((g) => !POOL_GROUPS[pool.pool].includes(g)))) {
      throw new UnauthorizedError();
    }
    if (typeof payload.origin_jti === "string" && revokedOrigins.has(payload.origin_jti)) throw new UnauthorizedError();
    return { payload, pool: pool.pool };
  }

  const issuer: LocalIssuer = {
    baseUrl: options.issuerUrl,
    now,
    pools: {
      patients: { pool: "patients", issuerUrl: running.patients.issuerUrl, clientId: running.patients.clientId },
      staff: { pool: "staff", issuerUrl: running.staff.issuerUrl, clientId: running.staff.clientId },
    },

    async signUp(input) {
      const data = parseOrThrow(signUpSchema, input);
      if (users.has(data.email)) {
        throw new ConflictError("EMAIL_TAKEN", "An account with this email already exists");
      }
      return publicUser(await insert({ ...data, groups: ["patient"], pool: "patients" }));
    },

    async addUser(input) {
      const data = parseOrThrow(addUserSchema, input);
      const existing = users.get(data.email);
      if (existing) {
        if (!existing.totpSecret && data.totpSecret) {
          existing.totpSecret = data.totpSecret;
          await persistUsers();
        }
        return publicUser(existing);
      }
      return publicUser(await insert({ ...data, pool: poolFor(data.groups, data.pool) }));
    },

    async removeUser(email) {
      const removed = users.delete(email.trim().toLowerCase());
      if (removed) await persistUsers();
      return removed;
    },

    findUser(email) {
      const user = users.get(email.trim().toLowerCase());
      return user && publicUser(user);
    },

    findUserBySub(sub) {
      const user = bySub(sub);
      return user && publicUser(user);
    },

    async setGroups(sub, groups) {
      const user = userOfSub(sub);
      poolFor(groups, user.pool);
      user.groups = [...new Set(groups)];
      await persistUsers();
      return publicUser(user);
    },

    async setEnabled(sub, enabled) {
      const user = userOfSub(sub);
      if (enabled) delete user.disabled;
      else user.disabled = true;
      await persistUsers();
      return publicUser(user);
    },

    async signOutEverywhere(sub) {
      userOfSub(sub);
      let revoked = false;
      for (const session of sessions.values()) {
        if (session.sub !== sub || session.revokedAt) continue;
        session.revokedAt = iso(now());
        revokedOrigins.add(session.originJti);
        revoked = true;
      }
      if (revoked) await persistSessions();
    },

    listUsers() {
      return [...users.values()].map(publicUser);
    },

    async enrolTotp(email, secret = newTotpSecret()) {
      const user = users.get(email.trim().toLowerCase());
      if (!user) throw new NotFoundError("User");
      parseOrThrow(z.object({ secret: totpSecretSchema }), { secret });
      user.totpSecret = secret;
      user.usedTotpSteps = [];
      await persistUsers();
      return { secret, uri: totpUri(secret, user.email) };
    },

    async issueTokens(input) {
      const parsed = credentialsSchema.safeParse(input);
      if (!parsed.success) throw new UnauthorizedError(INVALID_CREDENTIALS);
      const { totp } = parseOrThrow(totpFieldSchema, { totp: (input as { totp?: unknown }).totp });
      const pool = parseOrThrow(poolSchema, (input as { pool?: unknown }).pool);
      const found = users.get(parsed.data.email.trim().toLowerCase());
      // Another pool's account is unknown to this pool's page: same answer, same time, no lockout.
      const user = found && (!pool || found.pool === pool) ? found : undefined;
      if (user) assertNotLocked(user);
      const passwordOk = await verifyPassword(parsed.data.password, user?.passwordHash ?? dummyHash);
      if (!user) throw new UnauthorizedError(INVALID_CREDENTIALS);
      assertNotLocked(user); // again: a lock may have come while scrypt ran
      if (!passwordOk) return failSignIn(user, new UnauthorizedError(INVALID_CREDENTIALS));
      if (user.disabled) throw new UnauthorizedError("This account is disabled", "USER_DISABLED");

      const refused = checkTotp(user, totp || undefined);
      if (refused?.counts) return failSignIn(user, refused.error);
      if (refused) throw refused.error;
      await recordSuccess(user, Boolean(user.totpSecret));

      const { session, refreshToken } = await startSession(user);
      return { ...(await mint(user, session)), refreshToken };
    },

    async refreshTokens(input) {
      const { refreshToken, pool } = parseOrThrow(refreshSchema, input);
      const session = liveSession(refreshToken, pool);
      const user = session && users.get(session.email);
      if (!session || !user || user.sub !== session.sub || user.disabled) {
        throw new UnauthorizedError("Invalid, expired or revoked refresh token", "INVALID_REFRESH_TOKEN");
      }
      return mint(user, session);
    },

    async revoke(input) {
      const { refreshToken, pool } = parseOrThrow(refreshSchema, input);
      const session = liveSession(refreshToken, pool);
      if (!session) return false;
      session.revokedAt = iso(now());
      revokedOrigins.add(session.originJti);
      await persistSessions();
      return true;
    },

    jwks(pool) {
      return { keys: running[pool].jwks.keys.map((k) => ({ ...k })) };
    },

    async verifyBearer(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      if (!token) throw new UnauthorizedError();
      return verify(token);
    },
  };
  return issuer;
}
