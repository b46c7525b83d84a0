import { request, type Server } from "node:http";
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, Context } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BusinessRuleError } from "@carebook/core/errors";
import type { AuthorizerContext } from "../../functions/lib/authorizer-context";
import type { RouteDefinition } from "../../functions/routes";
import { createLocalIssuer, LOCKOUT_MS, type LocalIssuer, type LocalUser } from "../../packages/local/src/auth";
import { totpCode } from "../../packages/local/src/totp";
import { compileRoutes, concurrencyLimit, createApiServer, formatApiGatewayTime, listen, matchRoute, type LambdaHandler } from "../../packages/local/src/http";

const AUDIENCE = "carebook-local-client";
const PASSWORD = "a long enough password";

const route = (handler: string, roles: RouteDefinition["roles"] = { patient: "own" }): RouteDefinition => ({
  handler,
  success: 200,
  table: "none",
  roles,
  description: handler,
});

const routes: Record<string, RouteDefinition> = {
  "GET /health": route("functions/api/health.handler", "public"),
  "GET /api/appointments": route("functions/api/appointments/list.handler"),
  "GET /api/appointments/{id}": route("functions/api/appointments/get.handler"),
  "GET /api/appointments/available-slots": route("functions/api/appointments/slots.handler"),
  "POST /api/appointments/{id}/cancel": route("functions/api/appointments/cancel.handler"),
  "GET /api/result": route("functions/api/result.handler"),
  "POST /api/echo": route("functions/api/echo.handler"),
  "GET /api/throws": route("functions/api/throws.handler"),
  "GET /api/slow": route("functions/api/slow.handler"),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Captured = { handler: string; event: APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>; context: Context; remaining: number };

describe("local API server", () => {
  let issuer: LocalIssuer;
  let server: Server;
  let url: string;
  let token: string;
  let accessToken: string;
  let calls: Captured[] = [];
  let nextResult: unknown;
  let signupHook: (user: LocalUser) => Promise<void> = async () => {};
  /** The issuer's clock runs this far ahead of real time (lockout and expiry tests). */
  let clockOffset = 0;

  const fake = (name: string): LambdaHandler => async (event, context) => {
    calls.push({ handler: name, event, context, remaining: context.getRemainingTimeInMillis() });
    if (name.endsWith("throws.handler")) throw new Error("boom (expected in this test)");
    if (name.endsWith("slow.handler")) await new Promise((r) => setTimeout(r, 1_000));
    if (name.endsWith("result.handler")) return nextResult;
    if (name.endsWith("echo.handler")) return { statusCode: 200, body: JSON.stringify({ body: event.body, b64: event.isBase64Encoded }) };
    return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ handler: name }) };
  };

  beforeAll(async () => {
    issuer = await createLocalIssuer({ issuerUrl: "http://127.0.0.1/local-auth", audience: AUDIENCE, now: () => Date.now() + clockOffset });
    await issuer.addUser({ email: "pat@example.com", password: PASSWORD, name: "Pat", groups: ["patient"] });
    ({ idToken: token, accessToken } = await issuer.issueTokens({ email: "pat@example.com", password: PASSWORD }));
    server = createApiServer({
      routes,
      issuer,
      loadHandler: async (path) => fake(path),
      onSignup: (user) => signupHook(user),
      timeoutMs: 300,
      extraRoutes: {
        "GET /local/outbox": async (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" }).end('{"outbox":[]}');
        },
      },
    });
    url = await listen(server, 0);
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  beforeEach(() => {
    calls = [];
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(url + path, { headers: { authorization: `Bearer ${token}`, ...headers } });

  it("prefers literal segments over {param}", async () => {
    expect(await (await get("/api/appointments/available-slots")).json() as Json).toEqual({
      handler: "functions/api/appointments/slots.handler",
    });
    expect(await (await get("/api/appointments/a-1")).json() as Json).toEqual({ handler: "functions/api/appointments/get.handler" });
    expect(await (await get("/api/appointments")).json() as Json).toEqual({ handler: "functions/api/appointments/list.handler" });

    const compiled = compileRoutes({ "GET /a/{x}/c": route("x.h"), "GET /a/b/{y}": route("y.h"), "GET /{proxy+}": route("p.h") });
    expect(matchRoute(compiled, "GET", "/a/b/c")).toMatchObject({ kind: "found", route: { routeKey: "GET /a/b/{y}" } });
    expect(matchRoute(compiled, "GET", "/z/q")).toMatchObject({ kind: "found", pathParameters: { proxy: "z/q" } });
  });

  it("answers 404 for unknown paths and 405 for a wrong method", async () => {
    const notFound = await get("/api/nope");
    expect(notFound.status).toBe(404);
    expect((await notFound.json() as Json).error.code).toBe("ROUTE_NOT_FOUND");
    expect(notFound.headers.get("access-control-allow-origin")).toBe("*");

    const wrongMethod = await fetch(`${url}/api/appointments/available-slots`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect((await wrongMethod.json() as Json).error.code).toBe("METHOD_NOT_ALLOWED");
    expect(wrongMethod.headers.get("allow")).toContain("GET");
    expect(calls).toHaveLength(0);
  });

  it("answers CORS preflights", async () => {
    const res = await fetch(`${url}/api/appointments`, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type,idempotency-key");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("rejects missing or invalid tokens before the handler runs", async () => {
    for (const authorization of [undefined, "Bearer nonsense", `Bearer ${token}x`]) {
      const res = await fetch(`${url}/api/appointments`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json() as Json).toEqual({ error: { code: "UNAUTHORIZED", message: "Missing or invalid token" } });
    }
    expect(calls).toHaveLength(0);

    // public route: no token needed, and no authorizer block
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(calls[0]!.event.requestContext).not.toHaveProperty("authorizer");

    // access tokens are accepted too (client_id instead of aud)
    expect((await get("/api/appointments", { authorization: `Bearer ${accessToken}` })).status).toBe(200);
  });

  it("builds an API Gateway HTTP API (2.0) event and a Lambda context", async () => {
    const res = await new Promise<{ status: number }>((resolve, reject) => {
      const req = request(
        `${url}/api/appointments/a%201%2Fb?x=1&x=2&y=%C3%A9&flag&plus=a+b`,
        {
          headers: {
            Authorization: `Bearer ${token}`,
            "X-Custom": "Hello",
            "X-Multi": ["a", "b"],
            Cookie: "c1=v1; c2=v2",
            "User-Agent": "carebook-test/1.0",
          },
        },
        (r) => {
          r.resume();
          r.on("end", () => resolve({ status: r.statusCode! }));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { event, context, remaining } = calls[0]!;

    expect(event.version).toBe("2.0");
    expect(event.routeKey).toBe("GET /api/appointments/{id}");
    expect(event.rawPath).toBe("/api/appointments/a%201%2Fb");
    expect(event.rawQueryString).toBe("x=1&x=2&y=%C3%A9&flag&plus=a+b");
    expect(event.pathParameters).toEqual({ id: "a 1/b" });
    expect(event.queryStringParameters).toEqual({ x: "1,2", y: "é", flag: "", plus: "a+b" });
    expect(event.cookies).toEqual(["c1=v1", "c2=v2"]);
    expect(event.headers["x-custom"]).toBe("Hello");
    expect(event.headers["x-multi"]).toBe("a,b");
    expect(event.headers).not.toHaveProperty("cookie");
    expect(Object.keys(event.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);

    const rc = event.requestContext;
    expect(rc).toMatchObject({
      accountId: "000000000000",
      apiId: "local",
      routeKey: "GET /api/appointments/{id}",
      stage: "$default",
      http: { method: "GET", path: "/api/appointments/a%201%2Fb", protocol: "HTTP/1.1", userAgent: "carebook-test/1.0" },
    });
    expect(rc.http.sourceIp).toBe("127.0.0.1");
    expect(rc.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rc.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(rc.timeEpoch - Date.now())).toBeLessThan(5_000);

    // What production's Lambda authorizer hands over (functions/lib/authorizer-context.ts), nothing else.
    expect(rc.authorizer).toEqual({
      lambda: { sub: issuer.findUser("pat@example.com")!.sub, groups: "patient", email: "pat@example.com", pool: "patients" },
    });

    expect(context.awsRequestId).toBe(rc.requestId);
    expect(context.functionName).toBe("carebook-local-api-appointments-get");
    expect(context.memoryLimitInMB).toBe("512");
    expect(context.invokedFunctionArn).toContain(context.functionName);
    expect(context.logGroupName).toBe(`/aws/lambda/${context.functionName}`);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(300);
  });

  it("passes JSON bodies as text and binary bodies as base64", async () => {
    const json = await fetch(`${url}/api/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ a: "é" }),
    });
    expect(await json.json() as Json).toEqual({ body: '{"a":"é"}', b64: false });

    const bytes = Buffer.from([0, 1, 2, 255]);
    const binary = await fetch(`${url}/api/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body: bytes,
    });
    expect(await binary.json() as Json).toEqual({ body: bytes.toString("base64"), b64: true });
  });

  it("normalises handler results like API Gateway", async () => {
    nextResult = {
      statusCode: 201,
      headers: { "x-one": "1", "x-num": 2 },
      multiValueHeaders: { "x-many": ["a", "b"] },
      cookies: ["s=1; HttpOnly", "t=2"],
      body: "created",
    };
    let res = await get("/api/result");
    expect(res.status).toBe(201);
    expect(res.headers.get("x-one")).toBe("1");
    expect(res.headers.get("x-num")).toBe("2");
    expect(res.headers.get("x-many")).toBe("a, b");
    expect(res.headers.getSetCookie()).toEqual(["s=1; HttpOnly", "t=2"]);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("apigw-requestid")).toBeTruthy();
    expect(await res.text()).toBe("created");

    nextResult = { items: [1, 2] };
    res = await get("/api/result");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json() as Json).toEqual({ items: [1, 2] });

    nextResult = "plain string";
    res = await get("/api/result");
    expect([res.status, await res.text()]).toEqual([200, "plain string"]);

    nextResult = { statusCode: 200, isBase64Encoded: true, body: Buffer.from("bin").toString("base64") };
    res = await get("/api/result");
    expect(await res.text()).toBe("bin");

    nextResult = { statusCode: 204 };
    res = await get("/api/result");
    expect([res.status, await res.text()]).toEqual([204, ""]);
  });

  it("answers 500 when a handler throws and 504 when it times out", async () => {
    const original = console.error;
    const logged: unknown[] = [];
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const thrown = await get("/api/throws");
      expect(thrown.status).toBe(500);
      expect(await thrown.json() as Json).toEqual({ error: { code: "INTERNAL", message: "Internal server error" } });
      const slow = await get("/api/slow");
      expect(slow.status).toBe(504);
      expect((await slow.json() as Json).error.code).toBe("HANDLER_TIMEOUT");
    } finally {
      console.error = original;
    }
    expect(logged.length).toBe(2);
  });

  it("refuses bodies over 1 MiB with 413", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const res = await fetch(`${url}/api/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect((await res.json() as Json).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(calls).toHaveLength(0);

    // exactly 1 MiB is fine
    const ok = await fetch(`${url}/api/echo`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" },
      body: "y".repeat(1024 * 1024),
    });
    expect(ok.status).toBe(200);
  });

  it("serves local-only extra routes", async () => {
    const res = await fetch(`${url}/local/outbox`);
    expect(await res.json() as Json).toEqual({ outbox: [] });
  });

  describe("/local-auth", () => {
    const post = (path: string, body: unknown) =>
      fetch(`${url}/local-auth/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    it("signs up (running onSignup), issues tokens the API accepts, serves the JWKS", async () => {
      const seen: LocalUser[] = [];
      signupHook = async (user) => void seen.push(user);
      const signup = await post("signup", { email: "New@Example.com", password: PASSWORD, name: "New Patient" });
      expect(signup.status).toBe(201);
      const created = await signup.json() as Json;
      expect(created).toEqual({ sub: expect.any(String), email: "new@example.com", name: "New Patient" });
      expect(seen.map((u) => u.sub)).toEqual([created.sub]);

      const tokenRes = await post("token", { email: "new@example.com", password: PASSWORD });
      expect(tokenRes.status).toBe(200);
      const tokens = await tokenRes.json() as Json;
      expect(tokens).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
      const api = await fetch(`${url}/api/appointments`, { headers: { authorization: `Bearer ${tokens.idToken}` } });
      expect(api.status).toBe(200);
      expect(calls.at(-1)!.event.requestContext.authorizer.lambda).toEqual({
        sub: created.sub,
        groups: "patient",
        email: "new@example.com",
        pool: "patients",
      });
    });

    it("serves each pool's JWKS and OpenID configuration at its own issuer", async () => {
      for (const pool of ["patients", "staff"] as const) {
        const jwks = await (await fetch(`${url}/local-auth/pools/${pool}/.well-known/jwks.json`)).json() as Json;
        expect(jwks).toEqual(issuer.jwks(pool));
        expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
        expect(jwks.keys[0]).not.toHaveProperty("d");
        const config = await (await fetch(`${url}/local-auth/pools/${pool}/.well-known/openid-configuration`)).json() as Json;
        expect(config).toMatchObject({
          issuer: `http://127.0.0.1/local-auth/pools/${pool}`,
          jwks_uri: `http://127.0.0.1/local-auth/pools/${pool}/.well-known/jwks.json`,
          // The hosted sign-in's OAuth endpoints (test/local/hosted-signin.test.ts), not the JSON ones.
          token_endpoint: `http://127.0.0.1/local-auth/pools/${pool}/oauth2/token`,
          revocation_endpoint: `http://127.0.0.1/local-auth/pools/${pool}/oauth2/revoke`,
        });
      }
      expect(issuer.jwks("patients").keys[0]!.kid).not.toBe(issuer.jwks("staff").keys[0]!.kid);
      // one issuer for both pools no longer exists
      expect((await fetch(`${url}/local-auth/.well-known/jwks.json`)).status).toBe(404);
    });

    it("sign-up can never create a staff user", async () => {
      const res = await post("signup", { email: "climber@example.com", password: PASSWORD, name: "C", groups: ["admin"], pool: "staff" });
      expect(res.status).toBe(201);
      expect(issuer.findUser("climber@example.com")).toMatchObject({ pool: "patients", groups: ["patient"] });
    });

    it("rolls the user back when onSignup fails", async () => {
      signupHook = async () => {
        throw new BusinessRuleError("PROFILE_REJECTED", "No profile for you");
      };
      const res = await post("signup", { email: "rollback@example.com", password: PASSWORD, name: "R" });
      expect(res.status).toBe(422);
      expect(await res.json() as Json).toEqual({ error: { code: "PROFILE_REJECTED", message: "No profile for you" } });
      expect(issuer.findUser("rollback@example.com")).toBeUndefined();
      signupHook = async () => {};
    });

    it("maps bad input and errors to the error shape", async () => {
      const badJson = await post("signup", "{nope");
      expect([badJson.status, (await badJson.json() as Json).error.code]).toEqual([400, "INVALID_JSON"]);

      const invalid = await post("signup", { email: "x", password: "short", name: "" });
      expect(invalid.status).toBe(400);
      const body = await invalid.json() as Json;
      expect(body.error.code).toBe("VALIDATION_FAILED");
      expect(body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(["email", "name", "password"]);

      const taken = await post("signup", { email: "pat@example.com", password: PASSWORD, name: "Pat" });
      expect([taken.status, (await taken.json() as Json).error.code]).toEqual([409, "EMAIL_TAKEN"]);

      const wrong = await post("token", { email: "pat@example.com", password: "wrong password!" });
      expect([wrong.status, (await wrong.json() as Json).error.code]).toEqual([401, "UNAUTHORIZED"]);

      const method = await fetch(`${url}/local-auth/token`);
      expect(method.status).toBe(405);

      const grant = await post("token", { grantType: "client_credentials" });
      expect([grant.status, (await grant.json() as Json).error.code]).toEqual([400, "UNSUPPORTED_GRANT_TYPE"]);
    });

    describe("staff: TOTP, lockout", () => {
      const SECRET = "CAREBOOKHTTPTESTSTAFFSECRET23456";
      const staffSignIn = (body: Record<string, unknown> = {}) =>
        post("token", { email: "doc@example.com", password: PASSWORD, ...body });
      const codeNow = (stepsAhead = 0) => totpCode(SECRET, Date.now() + clockOffset + stepsAhead * 30_000);

      beforeAll(async () => {
        await issuer.addUser({ email: "doc@example.com", password: PASSWORD, name: "Dr Doc", groups: ["doctor"], totpSecret: SECRET });
      });

      it("needs a TOTP code, accepts it once, and the handler sees the staff pool", async () => {
        const noCode = await staffSignIn();
        expect(noCode.status).toBe(401);
        const required = (await noCode.json() as Json).error;
        expect(required.code).toBe("MFA_REQUIRED");
        expect(required.message).toMatch(/TOTP code/);

        const code = codeNow();
        const ok = await staffSignIn({ totp: code });
        expect(ok.status).toBe(200);
        const tokens = await ok.json() as Json;
        expect(tokens).toMatchObject({ tokenType: "Bearer", expiresIn: 3600, refreshToken: expect.any(String) });

        const replay = await staffSignIn({ totp: code });
        expect([replay.status, (await replay.json() as Json).error.code]).toEqual([401, "MFA_CODE_REUSED"]);

        const api = await fetch(`${url}/api/appointments`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
        expect(api.status).toBe(200);
        expect(calls.at(-1)!.event.requestContext.authorizer).toEqual({
          lambda: { sub: issuer.findUser("doc@example.com")!.sub, groups: "doctor", email: "", pool: "staff" }, // access tokens carry no email
        });
      });

      it("locks the account after 5 failures for 15 minutes", async () => {
        clockOffset += 60_000;
        for (let i = 0; i < 4; i++) expect((await staffSignIn({ password: "wrong password!", totp: codeNow() })).status).toBe(401);
        const fifth = await staffSignIn({ totp: codeNow(5) }); // a wrong code counts as well
        expect(fifth.status).toBe(401);
        const locked = (await fifth.json() as Json).error;
        expect(locked).toMatchObject({ code: "ACCOUNT_LOCKED", details: { lockedUntil: expect.any(String) } });

        const rightButLocked = await staffSignIn({ totp: codeNow() });
        expect([rightButLocked.status, (await rightButLocked.json() as Json).error.code]).toEqual([401, "ACCOUNT_LOCKED"]);

        clockOffset += LOCKOUT_MS + 30_000;
        expect((await staffSignIn({ totp: codeNow() })).status).toBe(200);
      });
    });

    describe("refresh and revoke", () => {
      const signIn = async () => (await (await post("token", { email: "pat@example.com", password: PASSWORD })).json()) as Json;
      const apiStatus = async (token: string) =>
        (await fetch(`${url}/api/appointments`, { headers: { authorization: `Bearer ${token}` } })).status;

      it("refreshes after the access token expired, with the same origin_jti", async () => {
        const first = await signIn();
        clockOffset += 3600_000 + 1_000;
        expect(await apiStatus(first.accessToken)).toBe(401);

        const res = await post("token", { grantType: "refresh_token", refreshToken: first.refreshToken });
        expect(res.status).toBe(200);
        const refreshed = await res.json() as Json;
        expect(refreshed).toEqual({ idToken: expect.any(String), accessToken: expect.any(String), expiresIn: 3600, tokenType: "Bearer" });
        const originOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).origin_jti;
        expect(originOf(refreshed.accessToken)).toBe(originOf(first.accessToken));
        expect(await apiStatus(refreshed.accessToken)).toBe(200);
      });

      it("revoke stops the refresh token and its session's tokens, not another session's", async () => {
        const mine = await signIn();
        const other = await signIn();
        const refreshed = await (await post("token", { grantType: "refresh_token", refreshToken: mine.refreshToken })).json() as Json;
        for (const token of [mine.idToken, mine.accessToken, refreshed.idToken, other.idToken]) expect(await apiStatus(token)).toBe(200);

        const revoke = await post("revoke", { refreshToken: mine.refreshToken });
        expect(revoke.status).toBe(204);

        for (const token of [mine.idToken, mine.accessToken, refreshed.idToken, refreshed.accessToken]) expect(await apiStatus(token)).toBe(401);
        const again = await post("token", { grantType: "refresh_token", refreshToken: mine.refreshToken });
        expect([again.status, (await again.json() as Json).error.code]).toEqual([401, "INVALID_REFRESH_TOKEN"]);

        expect(await apiStatus(other.idToken)).toBe(200);
        expect((await post("token", { grantType: "refresh_token", refreshToken: other.refreshToken })).status).toBe(200);
        expect((await post("revoke", { refreshToken: mine.refreshToken })).status).toBe(204); // idempotent
        expect((await post("revoke", {})).status).toBe(400);
      });
    });

    describe("patient TOTP enrolment", () => {
      it("enrols a patient's TOTP with their token; sign-in then needs the code", async () => {
        const signup = await post("signup", { email: "mfa@example.com", password: PASSWORD, name: "Careful" });
        expect(signup.status).toBe(201);
        const { accessToken } = await (await post("token", { email: "mfa@example.com", password: PASSWORD })).json() as Json;

        const enrol = await fetch(`${url}/local-auth/totp`, { method: "POST", headers: { authorization: `Bearer ${accessToken}` } });
        expect(enrol.status).toBe(200);
        const { secret, uri } = await enrol.json() as Json;
        expect(uri).toMatch(/^otpauth:\/\/totp\//);

        const without = await post("token", { email: "mfa@example.com", password: PASSWORD });
        expect([without.status, (await without.json() as Json).error.code]).toEqual([401, "MFA_REQUIRED"]);
        const withCode = await post("token", { email: "mfa@example.com", password: PASSWORD, totp: totpCode(secret, Date.now() + clockOffset) });
        expect(withCode.status).toBe(200);

        expect((await fetch(`${url}/local-auth/totp`, { method: "POST" })).status).toBe(401);
      });
    });
  });
});

describe("formatApiGatewayTime", () => {
  it("uses API Gateway's format", () => {
    expect(formatApiGatewayTime(new Date(Date.UTC(2026, 10, 5, 15, 4, 9)))).toBe("05/Nov/2026:15:04:09 +0000");
  });
});

describe("concurrencyLimit", () => {
  it("runs at most N at once and lets the rest wait their turn, in order", async () => {
    const run = concurrencyLimit(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 10));
          order.push(i);
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
