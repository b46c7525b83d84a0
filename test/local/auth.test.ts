import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, UnauthorizedError, ValidationError } from "@carebook/core/errors";
import {
  assertLocalRuntime,
  createLocalIssuer,
  parseApiGatewayArrayClaim,
  toApiGatewayClaims,
  type LocalIssuer,
} from "../../packages/local/src/auth";

const ISSUER = "http://localhost:3000/local-auth";
const AUDIENCE = "carebook-local-client";
const PASSWORD = "correct horse battery";

describe("local issuer", () => {
  let clock = Date.now();
  let issuer: LocalIssuer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "carebook-auth-"));
    issuer = await createLocalIssuer({ dataDir: dir, issuerUrl: ISSUER, audience: AUDIENCE, now: () => clock });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("signs up, issues Cognito-like tokens and verifies them", async () => {
    const user = await issuer.signUp({ email: "  Ada@Example.COM ", password: PASSWORD, name: "Ada Lovelace" });
    expect(user).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", groups: ["patient"] });
    expect(user.sub).toMatch(/^[0-9a-f-]{36}$/);

    const tokens = await issuer.issueTokens({ email: "ADA@example.com", password: PASSWORD });
    expect(tokens).toMatchObject({ expiresIn: 3600, tokenType: "Bearer" });

    const header = decodeProtectedHeader(tokens.idToken);
    expect(header.alg).toBe("RS256");
    expect(issuer.jwks().keys.map((k) => k.kid)).toEqual([header.kid]);
    expect(issuer.jwks().keys[0]).not.toHaveProperty("d"); // public only

    const id = decodeJwt(tokens.idToken);
    expect(id).toMatchObject({
      sub: user.sub,
      email: "ada@example.com",
      email_verified: true,
      name: "Ada Lovelace",
      "cognito:groups": ["patient"],
      "cognito:username": user.sub,
      token_use: "id",
      aud: AUDIENCE,
      iss: ISSUER,
    });
    expect(id.exp! - id.iat!).toBe(3600);
    expect(id.auth_time).toBe(id.iat);

    const access = decodeJwt(tokens.accessToken);
    expect(access).toMatchObject({
      sub: user.sub,
      "cognito:groups": ["patient"],
      token_use: "access",
      client_id: AUDIENCE,
      scope: "openid email profile",
      iss: ISSUER,
    });
    expect(access.aud).toBeUndefined();
    expect(access.jti).toBeTruthy();

    expect((await issuer.verifyBearer(`Bearer ${tokens.idToken}`)).sub).toBe(user.sub);
    expect((await issuer.verifyBearer(`Bearer ${tokens.accessToken}`)).token_use).toBe("access");
    // API Gateway also accepts the bare token as the identity source.
    expect((await issuer.verifyBearer(tokens.idToken)).sub).toBe(user.sub);
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

    // same key, other audience / other issuer (a second issuer over the same key file)
    const otherAudience = await createLocalIssuer({ dataDir: dir, issuerUrl: ISSUER, audience: "someone-else" });
    await expect(otherAudience.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(otherAudience.verifyBearer(`Bearer ${accessToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    const otherIssuer = await createLocalIssuer({ dataDir: dir, issuerUrl: "http://evil/", audience: AUDIENCE });
    await expect(otherIssuer.verifyBearer(`Bearer ${idToken}`)).rejects.toBeInstanceOf(UnauthorizedError);
    // ... while the same configuration accepts it (the key really is shared)
    const twin = await createLocalIssuer({ dataDir: dir, issuerUrl: ISSUER, audience: AUDIENCE });
    await expect(twin.verifyBearer(`Bearer ${idToken}`)).resolves.toMatchObject({ token_use: "id" });

    // a different key (in-memory issuer) never verifies
    const stranger = await createLocalIssuer({ issuerUrl: ISSUER, audience: AUDIENCE });
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

  it("persists users and the signing key across restarts", async () => {
    const addedOnce = await issuer.addUser({
      sub: "00000000-0000-4000-8000-000000000001",
      email: "Dr.Who@example.com",
      password: "demo-password",
      name: "Dr Who",
      groups: ["doctor"],
    });
    const addedTwice = await issuer.addUser({ email: "dr.who@example.com", password: "other", name: "X", groups: [] });
    expect(addedTwice).toEqual(addedOnce);

    const stored = JSON.parse(readFileSync(join(dir, "users.json"), "utf8")) as Array<Record<string, string>>;
    expect(stored.find((u) => u.email === "dr.who@example.com")?.passwordHash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(stored)).not.toContain("demo-password");

    const { idToken } = await issuer.issueTokens({ email: "dr.who@example.com", password: "demo-password" });
    const restarted = await createLocalIssuer({ dataDir: dir, issuerUrl: ISSUER, audience: AUDIENCE });
    const claims = await restarted.verifyBearer(`Bearer ${idToken}`);
    expect(claims).toMatchObject({ sub: "00000000-0000-4000-8000-000000000001", "cognito:groups": ["doctor"] });
    await expect(restarted.issueTokens({ email: "dr.who@example.com", password: "demo-password" })).resolves.toBeTruthy();

    expect(await restarted.removeUser("DR.WHO@example.com")).toBe(true);
    expect(restarted.findUser("dr.who@example.com")).toBeUndefined();
  });
});

describe("API Gateway claim rendering", () => {
  it("renders arrays as [a b], stringifies scalars, JSON-encodes objects, drops nulls", () => {
    const claims = toApiGatewayClaims({
      sub: "abc",
      "cognito:groups": ["patient"],
      roles: ["doctor", "nurse"],
      email_verified: true,
      exp: 1764082800,
      address: { country: "CH" },
      nothing: null,
    });
    expect(claims).toEqual({
      sub: "abc",
      "cognito:groups": "[patient]",
      roles: "[doctor nurse]",
      email_verified: "true",
      exp: "1764082800",
      address: '{"country":"CH"}',
    });
    expect(parseApiGatewayArrayClaim(claims.roles)).toEqual(["doctor", "nurse"]);
    expect(parseApiGatewayArrayClaim("[]")).toEqual([]);
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
      await expect(createLocalIssuer({ issuerUrl: ISSUER, audience: AUDIENCE })).rejects.toThrow(/refused/);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  });
});
