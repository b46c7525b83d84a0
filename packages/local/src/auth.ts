/**
 * A local stand-in for the Cognito user pool: sign-up, password sign-in issuing Cognito-like
 * RS256 id/access tokens, a JWKS, and the verification API Gateway's HTTP API JWT authorizer
 * performs before a route's Lambda runs.
 *
 * Refused outside the local runtime (see `assertLocalRuntime`): this issuer mints tokens for
 * any password it stores, which is only acceptable on a developer's offline machine.
 */
import { randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
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
import { ConflictError, UnauthorizedError, ValidationError } from "@carebook/core/errors";

export const TOKEN_TTL_SECONDS = 3600;
const ALG = "RS256";
const INVALID_CREDENTIALS = "Incorrect email or password";

// ---------------------------------------------------------------------------------------
// Types

export interface LocalUser {
  sub: string;
  email: string;
  name: string;
  groups: string[];
}

interface StoredUser extends LocalUser {
  passwordHash: string;
  createdAt: string;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  expiresIn: number;
  tokenType: "Bearer";
}

export interface LocalIssuerOptions {
  /** Persist the signing key and users here; in memory when omitted. */
  dataDir?: string;
  /** The `iss` of every token (the JWT authorizer's issuer). */
  issuerUrl: string;
  /** The app client id: `aud` of id tokens, `client_id` of access tokens. */
  audience: string;
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  now?: () => number;
  /** Token lifetime. Default 3600 s (Cognito's default). */
  tokenTtlSeconds?: number;
}

export interface LocalIssuer {
  readonly issuerUrl: string;
  readonly audience: string;
  signUp(input: { email: string; password: string; name: string }): Promise<LocalUser>;
  addUser(input: {
    sub?: string;
    email: string;
    password: string;
    name: string;
    groups: string[];
  }): Promise<LocalUser>;
  /** Removes a user (e.g. to roll back a sign-up). Returns whether one was removed. */
  removeUser(email: string): Promise<boolean>;
  findUser(email: string): LocalUser | undefined;
  listUsers(): LocalUser[];
  issueTokens(input: { email: string; password: string }): Promise<Tokens>;
  jwks(): JSONWebKeySet;
  verifyBearer(authorizationHeader: string | undefined): Promise<JWTPayload>;
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

const addUserSchema = z.object({
  sub: z.string().min(1).optional(),
  email: emailSchema,
  password: z.string().min(1).max(256),
  name: z.string().trim().min(1).max(200),
  groups: z.array(z.string().min(1)),
});

const credentialsSchema = z.object({ email: z.string(), password: z.string() });

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

interface KeyMaterial {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

async function loadOrCreateKey(dataDir: string | undefined): Promise<KeyMaterial> {
  const file = dataDir ? join(dataDir, "issuer-key.json") : undefined;
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

// ---------------------------------------------------------------------------------------
// Claims as API Gateway presents them

/**
 * Renders verified JWT claims the way an API Gateway HTTP API JWT authorizer puts them into
 * `event.requestContext.authorizer.jwt.claims` (payload format 2.0):
 * - strings as they are;
 * - numbers and booleans **stringified** (`exp: "1764082800"`, `email_verified: "true"`) —
 *   API Gateway does this, so handlers must not rely on numeric claims being numbers;
 * - arrays as `"[a b c]"` (space-separated in brackets, not JSON): `cognito:groups` →
 *   `"[patient]"`;
 * - nested objects as JSON text; null claims omitted.
 */
export function toApiGatewayClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    if (typeof value === "string") claims[name] = value;
    else if (Array.isArray(value)) {
      claims[name] = `[${value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(" ")}]`;
    } else if (typeof value === "object") claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}

/** Parses `"[a b c]"` (API Gateway's array rendering) back into `["a","b","c"]`. */
export function parseApiGatewayArrayClaim(value: string | number | boolean | string[] | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  const text = String(value).trim();
  const inner = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** The scopes API Gateway would derive from a token (`scope` string or `scp` array). */
export function scopesOf(payload: JWTPayload): string[] | undefined {
  for (const key of ["scp", "scope"]) {
    const value = payload[key];
    if (Array.isArray(value) && value.length) return value.map(String);
    if (typeof value === "string" && value.trim()) return value.trim().split(/\s+/);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// The issuer

export async function createLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  assertLocalRuntime();
  const { dataDir, issuerUrl, audience } = options;
  const now = options.now ?? Date.now;
  const ttl = options.tokenTtlSeconds ?? TOKEN_TTL_SECONDS;
  if (dataDir) await mkdir(dataDir, { recursive: true });

  const key = await loadOrCreateKey(dataDir);
  const jwkSet: JSONWebKeySet = { keys: [key.publicJwk] };
  const keyResolver = createLocalJWKSet(jwkSet);

  const usersFile = dataDir ? join(dataDir, "users.json") : undefined;
  const users = new Map<string, StoredUser>();
  for (const user of (usersFile && (await readJson<StoredUser[]>(usersFile))) || []) {
    users.set(user.email, user);
  }

  // Serialise writes so concurrent sign-ups cannot interleave file writes.
  let writeChain: Promise<void> = Promise.resolve();
  const persist = (): Promise<void> => {
    if (!usersFile) return Promise.resolve();
    const snapshot = [...users.values()];
    writeChain = writeChain.catch(() => undefined).then(() => writeJsonAtomic(usersFile, snapshot));
    return writeChain;
  };

  const publicUser = ({ sub, email, name, groups }: StoredUser): LocalUser => ({
    sub,
    email,
    name,
    groups: [...groups],
  });

  // A hash to compare against when the email is unknown, so both failures take as long.
  const dummyHash = await hashPassword(randomBytes(16).toString("hex"));

  async function insert(input: {
    sub?: string;
    email: string;
    password: string;
    name: string;
    groups: string[];
  }): Promise<StoredUser> {
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
      passwordHash,
      createdAt: new Date(now()).toISOString(),
    };
    users.set(user.email, user);
    await persist();
    return user;
  }

  async function sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: ALG, kid: key.kid }).sign(key.privateKey);
  }

  const issuer: LocalIssuer = {
    issuerUrl,
    audience,

    async signUp(input) {
      const data = parseOrThrow(signUpSchema, input);
      if (users.has(data.email)) {
        throw new ConflictError("EMAIL_TAKEN", "An account with this email already exists");
      }
      return publicUser(await insert({ ...data, groups: ["patient"] }));
    },

    async addUser(input) {
      const data = parseOrThrow(addUserSchema, input);
      const existing = users.get(data.email);
      if (existing) return publicUser(existing);
      return publicUser(await insert(data));
    },

    async removeUser(email) {
      const removed = users.delete(email.trim().toLowerCase());
      if (removed) await persist();
      return removed;
    },

    findUser(email) {
      const user = users.get(email.trim().toLowerCase());
      return user && publicUser(user);
    },

    listUsers() {
      return [...users.values()].map(publicUser);
    },

    async issueTokens(input) {
      const parsed = credentialsSchema.safeParse(input);
      if (!parsed.success) throw new UnauthorizedError(INVALID_CREDENTIALS);
      const user = users.get(parsed.data.email.trim().toLowerCase());
      const ok = await verifyPassword(parsed.data.password, user?.passwordHash ?? dummyHash);
      if (!user || !ok) throw new UnauthorizedError(INVALID_CREDENTIALS);

      const iat = Math.floor(now() / 1000);
      const exp = iat + ttl;
      const originJti = randomUUID();
      const eventId = randomUUID();
      const groups = user.groups.length ? { "cognito:groups": [...user.groups] } : {};

      const idToken = await sign({
        sub: user.sub,
        email: user.email,
        email_verified: true,
        name: user.name,
        ...groups,
        "cognito:username": user.sub,
        origin_jti: originJti,
        event_id: eventId,
        token_use: "id",
        aud: audience,
        iss: issuerUrl,
        auth_time: iat,
        iat,
        exp,
        jti: randomUUID(),
      });
      const accessToken = await sign({
        sub: user.sub,
        ...groups,
        iss: issuerUrl,
        client_id: audience,
        origin_jti: originJti,
        event_id: eventId,
        token_use: "access",
        scope: "openid email profile",
        auth_time: iat,
        iat,
        exp,
        jti: randomUUID(),
        username: user.sub,
      });
      return { idToken, accessToken, expiresIn: ttl, tokenType: "Bearer" };
    },

    jwks() {
      return { keys: jwkSet.keys.map((k) => ({ ...k })) };
    },

    async verifyBearer(authorizationHeader) {
      // Like the HTTP API JWT authorizer: the identity source holds the token, optionally
      // prefixed with "Bearer ".
      const header = authorizationHeader?.trim();
      if (!header) throw new UnauthorizedError();
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const token = match ? match[1]! : /^\S+$/.test(header) ? header : undefined;
      if (!token) throw new UnauthorizedError();

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keyResolver, {
          algorithms: [ALG],
          issuer: issuerUrl,
          requiredClaims: ["exp"],
          currentDate: new Date(now()),
        }));
      } catch {
        throw new UnauthorizedError();
      }
      // iat must not be in the future.
      const nowSeconds = Math.floor(now() / 1000);
      if (typeof payload.iat === "number" && payload.iat > nowSeconds) throw new UnauthorizedError();
      // aud (id tokens) — or client_id when there is no aud (access tokens) — must match.
      const audiences =
        payload.aud === undefined ? [payload.client_id] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!audiences.includes(audience)) throw new UnauthorizedError();
      return payload;
    },
  };
  return issuer;
}
