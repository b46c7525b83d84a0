import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, UnauthorizedError, ValidationError } from "@carebook/core/errors";
import {
  assertLocalRuntime,
  createLocalIssuer,
  LOCKOUT_MS,
  REFRESH_TOKEN_TTL_SECONDS,
  type LocalIssuer,
} from "../../packages/local/src/auth";
import { isTotpSecret, matchTotp, newTotpSecret, totpCode, totpStep, totpStepStart } from "../../packages/local/src/totp";
import { demoUsers } from "../../packages/local/src/seed";

const BASE = "http://localhost:3000/local-auth";
const PATIENTS_ISSUER = `${BASE}/pools/patients`;
const STAFF_ISSUER = `${BASE}/pools/staff`;
const AUDIENCE = "carebook-local-client";
const PASSWORD = "correct horse battery";
const STAFF_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const HOUR = 3600_000;

/** The rejection of a promise (fails the test if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string; details?: any }> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!outcome) throw new Error("expected a refusal");
  return outcome as never;
}

describe("local issuer", () => {
  // The middle of a TOTP step, so "now" and "the next step" are unambiguous.
  let clock = totpStepStart(totpStep(Date.now())) + 15_000;
  let issuer: LocalIssuer;
  let dir: string;
  const restart = () => createLocalIssuer({ dataDir: dir, issuerUrl: BASE, audience: AUDIENCE, now: () => clock });
  const code = (secret = STAFF_SECRET, at = clock) => totpCode(secret, at);
  /** Moves the clock forward by whole TOTP steps, so each sign-in of a test has a fresh code. */
  const nextStep = () => (clock += 30_000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "carebook-auth-"));
    issuer = await restart();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("signs up into the patients pool and issues Cognito-like tokens of that pool", async () => {
    const user = await issuer.signUp({ email: "  Ada@Example.COM ", password: PASSWORD, name: "Ada Lovelace" });
    expect(user).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", groups: ["patient"], pool: "patients", totpEnabled: false });
    expect(user.sub).toMatch(/^[0-9a-f-]{36}$/);

    const tokens = await issuer.issueTokens({ email: "ADA@example.com", password: PASSWORD });
    expect(tokens).toMatchObject({ expiresIn: 3600, tokenType: "Bearer", refreshToken: expect.stringMatching(/^[\w-]{43}$/) });

    const header = decodeProtectedHeader(tokens.idToken);
    expect(header.alg).toBe("RS256");
    expect(issuer.jwks("patients").keys.map((k) => k.kid)).toEqual([header.kid]);
    expect(issuer.jwks("staff").keys[0]!.kid).not.toBe(header.kid); // each pool its own key
    expect(issuer.jwks("patients").keys[0]).not.toHaveProperty("d"); // public only
    expect(issuer.pools).toEqual({
      patients: { pool: "patients", issuerUrl: PATIENTS_ISSUER, clientId: `${AUDIENCE}-patients` },
      staff: { pool: "staff", issuerUrl: STAFF_ISSUER, clientId: `${AUDIENCE}-staff` },
    });

    const id = decodeJwt(tokens.idToken);
    expect(id).toMatchObject({
      sub: user.sub,
      email: "ada@example.com",
      email_verified: true,
      name: "Ada Lovelace",
      "cognito:groups": ["patient"],
      "cognito:username": user.sub,
      token_use: "id",
      aud: `${AUDIENCE}-patients`,
      iss: PATIENTS_ISSUER,
    });
    expect(id.exp! - id.iat!).toBe(3600);
    expect(id.auth_time).toBe(id.iat);

    const access = decodeJwt(tokens.accessToken);
    expect(access).toMatchObject({
      sub: user.sub,
      "cognito:groups": ["patient"],
      token_use: "access",
      client_id: `${AUDIENCE}-patients`,
      scope: "openid email profile",
      iss: PATIENTS_ISSUER,
      origin_jti: id.origin_jti,
    });
    expect(access.aud).toBeUndefined();
    expect(access.jti).toBeTruthy();

    const verified = await issuer.verifyBearer(`Bearer ${tokens.idToken}`);
    expect(verified.pool).toBe("patients");
    expect(verified.payload.sub).toBe(user.sub);
    expect((await issuer.verifyBearer(`Bearer ${tokens.accessToken}`)).payload.token_use).toBe("access");
    // The scheme is case-insensitive; a bare token is refused, as the production Lambda authorizer does.
    expect((await issuer.verifyBearer(`bearer ${tokens.idToken}`)).payload.sub).toBe(user.sub);
    await expect(issuer.verifyBearer(tokens.idToken)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("rejects a taken email and invalid input", async () => {
    await expect(issuer.signUp({ email: "ada@EXAMPLE.com", password: PASSWORD, name: "Other" })).rejects.toMatchObject({
      code: "EMAIL_TAKEN",
      status: 409,
    });
    await expect(issuer.signUp({ email: "ada@EXAMPLE.com", password: PASSWORD, name: "Other" })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const error = await issuer.signUp({ email: "not-an-email", password: "short", name: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const paths = ((error as ValidationError).details as Array<{ path: string }>).map((d) => d.path).sort();
    expect(paths).toEqual(["email", "name", "password"]);
  });

  it("answers a wrong password and an unknown email alike", async () => {
    const wrongPassword = await issuer.issueTokens({ email: "ada@example.com", password: "nope nope nope" }).catch((e) => e);
    const unknownEmail = await issuer.issueTokens({ email: "nobody@example.com", password: PASSWORD }).catch((e) => e);
    expect(wrongPassword).toBeInstanceOf(UnauthorizedError);
    expect(unknownEmail).toBeInstanceOf(UnauthorizedError);
    expect(wrongPassword.message).toBe(unknownEmail.message);
    expect(wrongPassword.status).toBe(401);
    await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD }); // resets the failure count
  });

  it("rejects expired, tampered, foreign and malformed tokens", async () => {
    const { idToken, accessToken } = await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD });

    // tampered signature / payload
    const [h, p, s] = idToken.split(".");
    const flipped = s!.slice(0, -4) + (s!.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect(issuer.verifyBearer(`Bearer ${h}.${p}.${flipped}`)).rejects.toBeInstanceOf(UnauthorizedError);
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(idToken), "cognito:groups": ["admin"] })).toString(
      "base64url",
    );
    await expect(issuer.verifyBearer(`Bearer ${h}.${forgedPayload}.${s}`)).rejects.toBeInstanceOf(UnauthorizedError);

    // malformed headers
    for (const header of [undefined, "", "Bearer", "Basic abc", "Bearer a.b.c", `Token ${idToken}`]) {
      await expect(issuer.verifyBearer(header)).rejects.toBeInstanceOf(UnauthorizedError);
    }

    // same keys, other client ids / other issuer URLs (a second issuer over the same key files)
    const otherAudience = await createLocalIssuer({ dataDir: dir, issuerUrl: BASE, audience: "someone-else", now: () => clock });
    await expect(otherAudience.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(otherAudience.verifyBearer(`Bearer ${accessToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    const otherIssuer = await createLocalIssuer({ dataDir: dir, issuerUrl: "http://evil/local-auth", audience: AUDIENCE, now: () => clock });
    await expect(otherIssuer.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    // ... while the same configuration accepts it (the key really is shared)
    const twin = await createLocalIssuer({ dataDir: dir, issuerUrl: BASE, audience: AUDIENCE, now: () => clock });
    await expect(twin.verifyBearer(`Bearer ${idToken}`)).resolves.toMatchObject({ pool: "patients", payload: { token_use: "id" } });

    // a different key (in-memory issuer) never verifies
    const stranger = await createLocalIssuer({ issuerUrl: BASE, audience: AUDIENCE, now: () => clock });
    await expect(stranger.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);

    // expiry
    clock += 3601_000;
    try {
      await expect(issuer.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(issuer.verifyBearer(`Bearer ${accessToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      clock -= 3601_000;
    }
    // issued in the future (iat/nbf after now)
    clock -= 600_000;
    try {
      await expect(issuer.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    } finally {
      clock += 600_000;
    }
  });

  describe("pools", () => {
    /** Signs `payload` with a pool's private key, read from the key file: a token only the
     * issuer could have made, to show what verification refuses beyond the signature. */
    async function signWithPoolKey(pool: "patients" | "staff", payload: Record<string, unknown>): Promise<string> {
      const jwk = JSON.parse(readFileSync(join(dir, `issuer-key-${pool}.json`), "utf8")) as JWK;
      const key = await importJWK(jwk, "RS256");
      return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: jwk.kid }).sign(key);
    }

    it("puts a user with staff groups in the staff pool and refuses mixing pools", async () => {
      const doctor = await issuer.addUser({ email: "doc@example.com", password: PASSWORD, name: "Doc", groups: ["doctor"], totpSecret: STAFF_SECRET });
      expect(doctor).toMatchObject({ pool: "staff", groups: ["doctor"], totpEnabled: true });
      for (const bad of [
        { groups: ["patient", "admin"] },
        { groups: ["doctor"], pool: "patients" as const },
        { groups: ["patient"], pool: "staff" as const },
        { groups: ["root"] },
      ]) {
        const error = await refusal(issuer.addUser({ email: "mixed@example.com", password: PASSWORD, name: "Mixed", ...bad }));
        expect(error).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
      }
      expect(issuer.findUser("mixed@example.com")).toBeUndefined();
    });

    it("sign-up can never create a staff user nor take a staff email", async () => {
      const sneaky = { email: "sneaky@example.com", password: PASSWORD, name: "Sneaky", groups: ["admin"], pool: "staff" };
      const user = await issuer.signUp(sneaky as never);
      expect(user).toMatchObject({ pool: "patients", groups: ["patient"] });
      expect(await refusal(issuer.signUp({ email: "doc@example.com", password: PASSWORD, name: "Doc?" }))).toMatchObject({
        status: 409,
        code: "EMAIL_TAKEN",
      });
      expect(issuer.findUser("doc@example.com")).toMatchObject({ pool: "staff", groups: ["doctor"] });
    });

    it("issues staff tokens from the staff pool: its issuer, client id and key", async () => {
      nextStep();
      const tokens = await issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: code() });
      expect(decodeJwt(tokens.idToken)).toMatchObject({ iss: STAFF_ISSUER, aud: `${AUDIENCE}-staff`, "cognito:groups": ["doctor"] });
      expect(decodeJwt(tokens.accessToken)).toMatchObject({ iss: STAFF_ISSUER, client_id: `${AUDIENCE}-staff` });
      expect(decodeProtectedHeader(tokens.idToken).kid).toBe(issuer.jwks("staff").keys[0]!.kid);
      await expect(issuer.verifyBearer(`Bearer ${tokens.idToken}`)).resolves.toMatchObject({ pool: "staff" });
    });

    it("refuses a patient-pool token carrying staff groups, and one pool's key posing as the other", async () => {
      const { idToken } = await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD });
      const claims = decodeJwt(idToken);
      // signed by the patients pool itself, yet claiming a staff group: refused
      const promoted = await signWithPoolKey("patients", { ...claims, "cognito:groups": ["patient", "admin"] });
      await expect(issuer.verifyBearer(`Bearer ${promoted}`)).rejects.toBeInstanceOf(UnauthorizedError);
      // the patients key signing a token that names the staff issuer and client: refused
      const posing = await signWithPoolKey("patients", { ...claims, iss: STAFF_ISSUER, aud: `${AUDIENCE}-staff`, "cognito:groups": ["admin"] });
      await expect(issuer.verifyBearer(`Bearer ${posing}`)).rejects.toBeInstanceOf(UnauthorizedError);
      // a staff token for the patients client: refused
      const wrongClient = await signWithPoolKey("staff", { ...claims, iss: STAFF_ISSUER, "cognito:groups": ["doctor"] });
      await expect(issuer.verifyBearer(`Bearer ${wrongClient}`)).rejects.toBeInstanceOf(UnauthorizedError);
      // the control: the same claims re-signed unchanged are accepted
      await expect(issuer.verifyBearer(`Bearer ${await signWithPoolKey("patients", claims)}`)).resolves.toMatchObject({ pool: "patients" });
    });
  });

  describe("TOTP", () => {
    it("asks staff for a code, accepts the current one once and refuses its replay", async () => {
      nextStep();
      const noCode = await refusal(issuer.issueTokens({ email: "doc@example.com", password: PASSWORD }));
      expect(noCode).toMatchObject({ status: 401, code: "MFA_REQUIRED" });
      expect(noCode.message).toMatch(/TOTP code/);

      const current = code();
      await expect(issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: current })).resolves.toHaveProperty("idToken");
      const replay = await refusal(issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: current }));
      expect(replay).toMatchObject({ status: 401, code: "MFA_CODE_REUSED" });
      // a wrong password still says so first, code or not
      expect(await refusal(issuer.issueTokens({ email: "doc@example.com", password: "wrong wrong wrong", totp: current }))).toMatchObject({
        code: "UNAUTHORIZED",
      });
      await issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: code(STAFF_SECRET, clock + 30_000) }); // reset count
    });

    it("accepts the codes of the previous and next step, each once, and nothing further", async () => {
      clock += 90_000; // past every step used so far
      const sign = (at: number) => issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: code(STAFF_SECRET, at) });
      await expect(sign(clock - 30_000)).resolves.toHaveProperty("idToken");
      await expect(sign(clock + 30_000)).resolves.toHaveProperty("idToken");
      expect(await refusal(sign(clock + 30_000))).toMatchObject({ code: "MFA_CODE_REUSED" });
      expect(await refusal(sign(clock + 60_000))).toMatchObject({ code: "MFA_CODE_MISMATCH" });
      expect(await refusal(sign(clock - 60_000))).toMatchObject({ code: "MFA_CODE_MISMATCH" });
      expect(await refusal(issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: "12345x" }))).toMatchObject({
        code: "MFA_CODE_MISMATCH",
      });
      await expect(sign(clock)).resolves.toHaveProperty("idToken"); // and resets the failure count
    });

    it("refuses a staff account with no TOTP until one is enrolled", async () => {
      await issuer.addUser({ email: "nurse@example.com", password: PASSWORD, name: "Nurse", groups: ["nurse"] });
      expect(await refusal(issuer.issueTokens({ email: "nurse@example.com", password: PASSWORD }))).toMatchObject({
        status: 401,
        code: "MFA_SETUP_REQUIRED",
      });
      const { secret, uri } = await issuer.enrolTotp("nurse@example.com");
      expect(isTotpSecret(secret)).toBe(true);
      expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
      nextStep();
      await expect(issuer.issueTokens({ email: "nurse@example.com", password: PASSWORD, totp: code(secret) })).resolves.toHaveProperty("idToken");
    });

    it("enrols a secret for an existing user when it is re-added with one (data from before MFA)", async () => {
      await issuer.addUser({ email: "admin@example.com", password: PASSWORD, name: "Admin", groups: ["admin"] });
      const again = await issuer.addUser({ email: "admin@example.com", password: "ignored", name: "X", groups: ["admin"], totpSecret: STAFF_SECRET });
      expect(again).toMatchObject({ name: "Admin", totpEnabled: true });
      nextStep();
      await expect(issuer.issueTokens({ email: "admin@example.com", password: PASSWORD, totp: code() })).resolves.toHaveProperty("idToken");
    });

    it("is optional for patients, and required once a patient enrolled", async () => {
      await issuer.signUp({ email: "careful@example.com", password: PASSWORD, name: "Careful" });
      await expect(issuer.issueTokens({ email: "careful@example.com", password: PASSWORD })).resolves.toHaveProperty("idToken");
      const { secret } = await issuer.enrolTotp("careful@example.com");
      expect(issuer.findUser("careful@example.com")).toMatchObject({ pool: "patients", totpEnabled: true });
      expect(await refusal(issuer.issueTokens({ email: "careful@example.com", password: PASSWORD }))).toMatchObject({ code: "MFA_REQUIRED" });
      nextStep();
      const tokens = await issuer.issueTokens({ email: "careful@example.com", password: PASSWORD, totp: code(secret) });
      expect(decodeJwt(tokens.idToken)).toMatchObject({ iss: PATIENTS_ISSUER, "cognito:groups": ["patient"] });
    });

    it("computes RFC 6238 codes (the RFC's SHA-1 test vectors, last 6 digits)", () => {
      const base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // the RFC's secret "12345678901234567890"
      expect(totpCode(base32, 59_000)).toBe("287082");
      expect(totpCode(base32, 1111111109_000)).toBe("081804");
      expect(totpCode(base32, 2000000000_000)).toBe("279037");
      expect(matchTotp(base32, "081804", 1111111109_000 + 30_000)).toBe(totpStep(1111111109_000));
      expect(isTotpSecret(newTotpSecret())).toBe(true);
      expect(isTotpSecret("not base32!")).toBe(false);
      // the seeded demo staff all have usable (and distinct) secrets, the demo patient none
      const staff = demoUsers.filter((u) => !u.groups.includes("patient"));
      expect(staff.every((u) => isTotpSecret(u.totpSecret ?? ""))).toBe(true);
      expect(new Set(staff.map((u) => u.totpSecret)).size).toBe(staff.length);
      expect(demoUsers.find((u) => u.groups.includes("patient"))!.totpSecret).toBeUndefined();
    });
  });

  describe("lockout", () => {
    const EMAIL = "locked@example.com";
    const wrong = () => issuer.issueTokens({ email: EMAIL, password: "not the password", totp: code() });
    const right = () => issuer.issueTokens({ email: EMAIL, password: PASSWORD, totp: code() });

    beforeAll(async () => {
      await issuer.addUser({ email: EMAIL, password: PASSWORD, name: "Locked", groups: ["support"], totpSecret: STAFF_SECRET });
    });

    it("locks after 5 consecutive failures for 15 minutes, refusing even the right password", async () => {
      nextStep();
      for (let i = 1; i <= 4; i++) expect(await refusal(wrong())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
      const fifth = await refusal(wrong());
      expect(fifth).toMatchObject({ status: 401, code: "ACCOUNT_LOCKED" });
      expect(Date.parse(fifth.details.lockedUntil)).toBe(clock + LOCKOUT_MS);

      const whileLocked = await refusal(right());
      expect(whileLocked).toMatchObject({ status: 401, code: "ACCOUNT_LOCKED", details: { lockedUntil: fifth.details.lockedUntil } });
      expect(whileLocked.message).toMatch(/locked until/);

      // persisted with the users: a restarted issuer keeps the lock
      const stored = JSON.parse(readFileSync(join(dir, "users.json"), "utf8")) as Array<Record<string, unknown>>;
      expect(stored.find((u) => u.email === EMAIL)).toMatchObject({ lockedUntil: fifth.details.lockedUntil });
      const restarted = await restart();
      expect(await refusal(restarted.issueTokens({ email: EMAIL, password: PASSWORD, totp: code() }))).toMatchObject({ code: "ACCOUNT_LOCKED" });

      clock += LOCKOUT_MS - 1_000;
      expect(await refusal(right())).toMatchObject({ code: "ACCOUNT_LOCKED" });
      clock += 2_000 + 30_000;
      await expect(right()).resolves.toHaveProperty("idToken");
    });

    it("counts wrong TOTP codes, and a successful sign-in resets the count", async () => {
      nextStep();
      const badCode = () => issuer.issueTokens({ email: EMAIL, password: PASSWORD, totp: code(STAFF_SECRET, clock + 5 * 30_000) });
      for (let i = 0; i < 4; i++) expect(await refusal(badCode())).toMatchObject({ code: "MFA_CODE_MISMATCH" });
      await expect(right()).resolves.toHaveProperty("idToken");
      nextStep();
      for (let i = 0; i < 4; i++) expect(await refusal(wrong())).toMatchObject({ code: "UNAUTHORIZED" });
      await expect(right()).resolves.toHaveProperty("idToken"); // 4 + 4 failures, never 5 in a row
      nextStep();
      for (let i = 0; i < 4; i++) await refusal(badCode());
      expect(await refusal(badCode())).toMatchObject({ code: "ACCOUNT_LOCKED" });
      clock += LOCKOUT_MS + 30_000;
    });

    it("does not count a missing code or a replayed one", async () => {
      nextStep();
      const used = code();
      await expect(right()).resolves.toHaveProperty("idToken");
      for (let i = 0; i < 6; i++) {
        expect(await refusal(issuer.issueTokens({ email: EMAIL, password: PASSWORD }))).toMatchObject({ code: "MFA_REQUIRED" });
        expect(await refusal(issuer.issueTokens({ email: EMAIL, password: PASSWORD, totp: used }))).toMatchObject({ code: "MFA_CODE_REUSED" });
      }
      nextStep();
      await expect(right()).resolves.toHaveProperty("idToken");
    });
  });

  describe("refresh tokens", () => {
    it("refresh after the access token expired: new tokens of the same session", async () => {
      nextStep();
      const first = await issuer.issueTokens({ email: "doc@example.com", password: PASSWORD, totp: code() });
      const originJti = decodeJwt(first.idToken).origin_jti;
      clock += HOUR + 1_000;
      await expect(issuer.verifyBearer(`Bearer ${first.accessToken}`)).rejects.toBeInstanceOf(UnauthorizedError);

      const refreshed = await issuer.refreshTokens({ refreshToken: first.refreshToken });
      expect(refreshed).not.toHaveProperty("refreshToken");
      expect(refreshed).toMatchObject({ expiresIn: 3600, tokenType: "Bearer" });
      const id = decodeJwt(refreshed.idToken);
      expect(id).toMatchObject({ origin_jti: originJti, iss: STAFF_ISSUER, "cognito:groups": ["doctor"], auth_time: decodeJwt(first.idToken).auth_time });
      expect(id.jti).not.toBe(decodeJwt(first.idToken).jti);
      expect(decodeJwt(refreshed.accessToken).origin_jti).toBe(originJti);
      await expect(issuer.verifyBearer(`Bearer ${refreshed.accessToken}`)).resolves.toMatchObject({ pool: "staff" });

      // stored only as a hash
      const sessions = readFileSync(join(dir, "sessions.json"), "utf8");
      expect(sessions).not.toContain(first.refreshToken);
      expect(sessions).toContain(String(originJti));
    });

    it("expires after 30 days and refuses garbage", async () => {
      const { refreshToken } = await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD });
      clock += REFRESH_TOKEN_TTL_SECONDS * 1000 - 1_000;
      await expect(issuer.refreshTokens({ refreshToken })).resolves.toHaveProperty("idToken");
      clock += 2_000;
      expect(await refusal(issuer.refreshTokens({ refreshToken }))).toMatchObject({ status: 401, code: "INVALID_REFRESH_TOKEN" });
      expect(await refusal(issuer.refreshTokens({ refreshToken: "not-a-token" }))).toMatchObject({ code: "INVALID_REFRESH_TOKEN" });
      expect(await refusal(issuer.refreshTokens({} as never))).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    });

    it("revoke kills the refresh token and every token derived from it, not another session", async () => {
      const a = await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD });
      const b = await issuer.issueTokens({ email: "ada@example.com", password: PASSWORD });
      clock += 60_000;
      const aRefreshed = await issuer.refreshTokens({ refreshToken: a.refreshToken });

      expect(await issuer.revoke({ refreshToken: a.refreshToken })).toBe(true);
      expect(await refusal(issuer.refreshTokens({ refreshToken: a.refreshToken }))).toMatchObject({ code: "INVALID_REFRESH_TOKEN" });
      for (const token of [a.idToken, a.accessToken, aRefreshed.idToken, aRefreshed.accessToken]) {
        await expect(issuer.verifyBearer(`Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
      }
      // the other session lives on
      await expect(issuer.verifyBearer(`Bearer ${b.idToken}`)).resolves.toMatchObject({ pool: "patients" });
      await expect(issuer.refreshTokens({ refreshToken: b.refreshToken })).resolves.toHaveProperty("accessToken");
      expect(await issuer.revoke({ refreshToken: a.refreshToken })).toBe(false); // already revoked

      // revocations are persisted
      const restarted = await restart();
      await expect(restarted.verifyBearer(`Bearer ${a.accessToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
      await expect(restarted.verifyBearer(`Bearer ${b.accessToken}`)).resolves.toMatchObject({ pool: "patients" });
      expect(await refusal(restarted.refreshTokens({ refreshToken: a.refreshToken }))).toMatchObject({ code: "INVALID_REFRESH_TOKEN" });
    });
  });

  it("persists users and the signing keys across restarts", async () => {
    nextStep();
    const addedOnce = await issuer.addUser({
      sub: "00000000-0000-4000-8000-000000000001",
      email: "Dr.Who@example.com",
      password: "demo-password",
      name: "Dr Who",
      groups: ["doctor"],
      totpSecret: STAFF_SECRET,
    });
    const addedTwice = await issuer.addUser({ email: "dr.who@example.com", password: "other", name: "X", groups: [] });
    expect(addedTwice).toEqual(addedOnce);

    const stored = JSON.parse(readFileSync(join(dir, "users.json"), "utf8")) as Array<Record<string, string>>;
    expect(stored.find((u) => u.email === "dr.who@example.com")).toMatchObject({ pool: "staff", passwordHash: expect.stringMatching(/^scrypt\$/) });
    expect(JSON.stringify(stored)).not.toContain("demo-password");

    const { idToken } = await issuer.issueTokens({ email: "dr.who@example.com", password: "demo-password", totp: code() });
    const restarted = await restart();
    const { payload, pool } = await restarted.verifyBearer(`Bearer ${idToken}`);
    expect(pool).toBe("staff");
    expect(payload).toMatchObject({ sub: "00000000-0000-4000-8000-000000000001", "cognito:groups": ["doctor"] });
    // the used code is persisted too: no replay across a restart
    expect(await refusal(restarted.issueTokens({ email: "dr.who@example.com", password: "demo-password", totp: code() }))).toMatchObject({
      code: "MFA_CODE_REUSED",
    });
    nextStep();
    await expect(restarted.issueTokens({ email: "dr.who@example.com", password: "demo-password", totp: code() })).resolves.toBeTruthy();

    expect(await restarted.removeUser("DR.WHO@example.com")).toBe(true);
    expect(restarted.findUser("dr.who@example.com")).toBeUndefined();
  });
});

describe("assertLocalRuntime", () => {
  it("refuses to run inside AWS Lambda", () => {
    expect(() => assertLocalRuntime({})).not.toThrow();
    expect(() => assertLocalRuntime({ AWS_LAMBDA_FUNCTION_NAME: "fn" })).toThrow(/refused/);
    expect(() => assertLocalRuntime({ AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x" })).toThrow(/refused/);
  });

  it("is enforced by createLocalIssuer", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "carebook-prod-fn";
    try {
      await expect(createLocalIssuer({ issuerUrl: BASE, audience: AUDIENCE })).rejects.toThrow(/refused/);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });
});
