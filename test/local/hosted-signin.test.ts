/**
 * The local issuer's hosted sign-in (packages/local/src/hosted-signin.ts) over HTTP, with
 * oauth4webapi — the web app's own OAuth client — as the client wherever a client is needed:
 * the authorization code flow with PKCE, the refusals RFC 6749/7636/7009 ask for, refresh,
 * revocation and logout; and the runtime's /config.json in hosted mode (web.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalIssuer, type LocalIssuer, type LocalUser, type Pool } from "../../packages/local/src/auth";
import { findFreePort } from "../../packages/local/src/dynamo";
import { CODE_TTL_MS } from "../../packages/local/src/hosted-signin";
import { createApiServer, listen } from "../../packages/local/src/http";
import { totpCode, totpStep, totpStepStart } from "../../packages/local/src/totp";
import { webAppRoute, webAuthMode, webConfig } from "../../packages/local/src/web";

const AUDIENCE = "carebook-local-client";
const PASSWORD = "a long enough password";
const STAFF_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
/** The local issuer is plain http on the loopback address (the web app allows exactly that). */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe("hosted sign-in", () => {
  // The middle of a TOTP step, moved by whole steps, so each staff sign-in has a fresh code.
  let clock = totpStepStart(totpStep(Date.now())) + 15_000;
  let issuer: LocalIssuer;
  let server: Server;
  let url: string;
  let callback: string;
  const signedUp: LocalUser[] = [];

  beforeAll(async () => {
    const port = await findFreePort();
    url = `http://127.0.0.1:${port}`;
    callback = `${url}/auth/callback`;
    issuer = await createLocalIssuer({ issuerUrl: `${url}/local-auth`, audience: AUDIENCE, now: () => clock });
    await issuer.addUser({ email: "pat@example.com", password: PASSWORD, name: "Pat", groups: ["patient"] });
    await issuer.addUser({ email: "doc@example.com", password: PASSWORD, name: "Doc", groups: ["doctor"], totpSecret: STAFF_SECRET });
    server = createApiServer({ routes: {}, issuer, webOrigins: [url], onSignup: (user) => void signedUp.push(user) });
    await listen(server, port);
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  const discover = async (pool: Pool) => {
    const issuerUrl = new URL(issuer.pools[pool].issuerUrl);
    return oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, insecure));
  };
  const client = (pool: Pool): oauth.Client => ({ client_id: issuer.pools[pool].clientId });

  /** What the web app's beginSignIn sends the browser to. */
  async function authorizationUrl(pool: Pool, overrides: Record<string, string | undefined> = {}) {
    const as = await discover(pool);
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const params: Record<string, string> = {
      client_id: issuer.pools[pool].clientId,
      redirect_uri: callback,
      response_type: "code",
      scope: "openid email profile",
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    };
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete params[name];
      else params[name] = value;
    }
    const target = new URL(as.authorization_endpoint!);
    target.search = new URLSearchParams(params).toString();
    return { as, verifier, state, target };
  }

  const postForm = (target: string | URL, fields: Record<string, string>) =>
    fetch(target, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });

  /** Signs in on the hosted page (the TOTP step too for staff): the callback URL it redirects to. */
  async function signInOnPage(target: URL, email: string, pool: Pool = "patients"): Promise<URL> {
    const page = await fetch(target);
    expect(page.status).toBe(200);
    const html = await page.text();
    // The form posts back to the same request (its validated parameters).
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replaceAll("&amp;", "&");
    let answer = await postForm(new URL(action, url), { email, password: PASSWORD });
    if (pool === "staff") {
      expect(answer.status).toBe(200);
      const pending = /name="pending" value="([^"]+)"/.exec(await answer.text())![1]!;
      clock += 30_000;
      answer = await postForm(new URL(action, url), { pending, totp: totpCode(STAFF_SECRET, clock) });
    }
    expect(answer.status).toBe(303);
    return new URL(answer.headers.get("location")!);
  }

  /** The app's completeSignIn: state checked, code exchanged with the verifier, ID token checked. */
  async function exchange(pool: Pool, as: oauth.AuthorizationServer, redirected: URL, state: string, verifier: string) {
    const params = oauth.validateAuthResponse(as, client(pool), redirected, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client(pool), oauth.None(), params, callback, verifier, insecure);
    return oauth.processAuthorizationCodeResponse(as, client(pool), response, { requireIdToken: true });
  }

  /** A raw token-endpoint request (the refusals oauth4webapi would not let us make). */
  async function tokenRequest(pool: Pool, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(`${issuer.pools[pool].issuerUrl}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields),
    });
    return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
  }

  it("publishes each pool's endpoints by OIDC discovery", async () => {
    for (const pool of ["patients", "staff"] as const) {
      const issuerUrl = issuer.pools[pool].issuerUrl;
      const as = await discover(pool);
      expect(as).toMatchObject({
        issuer: issuerUrl,
        authorization_endpoint: `${issuerUrl}/oauth2/authorize`,
        token_endpoint: `${issuerUrl}/oauth2/token`,
        revocation_endpoint: `${issuerUrl}/oauth2/revoke`,
        end_session_endpoint: `${issuerUrl}/logout`,
        jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        grant_types_supported: ["authorization_code", "refresh_token"],
        token_endpoint_auth_methods_supported: ["none"],
      });
    }
  });

  it("signs a patient in with the code flow and PKCE: tokens the API's authorizer accepts, refresh, revoke", async () => {
    const { as, verifier, state, target } = await authorizationUrl("patients");
    const page = await fetch(target);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<label for="email">E-mail</label>');
    expect(html).toContain("Create an account");

    const redirected = await signInOnPage(target, "pat@example.com");
    expect(`${redirected.origin}${redirected.pathname}`).toBe(callback);
    expect(redirected.searchParams.get("state")).toBe(state);
    const tokens = await exchange("patients", as, redirected, state, verifier);
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: 3600, refresh_token: expect.any(String) });
    const verified = await issuer.verifyBearer(`Bearer ${tokens.id_token}`);
    expect(verified).toMatchObject({ pool: "patients", payload: { email: "pat@example.com", "cognito:groups": ["patient"], aud: client("patients").client_id } });
    expect((await issuer.verifyBearer(`Bearer ${tokens.access_token}`)).payload.token_use).toBe("access");

    clock += 60_000;
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client("patients"),
      await oauth.refreshTokenGrantRequest(as, client("patients"), oauth.None(), tokens.refresh_token!, insecure),
    );
    expect(refreshed.id_token).not.toBe(tokens.id_token);
    expect((await issuer.verifyBearer(`Bearer ${refreshed.id_token}`)).payload.sub).toBe(verified.payload.sub);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client("patients"), oauth.None(), tokens.refresh_token!, insecure));
    const afterRevoke = await tokenRequest("patients", { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: client("patients").client_id });
    expect([afterRevoke.status, afterRevoke.body.error]).toEqual([400, "invalid_grant"]);
    await expect(issuer.verifyBearer(`Bearer ${refreshed.id_token}`)).rejects.toMatchObject({ status: 401 });
  });

  it("asks staff for their TOTP code after the password, on the staff pool's own page", async () => {
    const { as, verifier, state, target } = await authorizationUrl("staff");
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(await (await fetch(target)).text())![1]!.replaceAll("&amp;", "&"), url);
    const totpStep = await postForm(action, { email: "doc@example.com", password: PASSWORD });
    expect(totpStep.status).toBe(200);
    const html = await totpStep.text();
    expect(html).toContain("Code from your authenticator app");
    expect(html).not.toContain(PASSWORD); // the password stays on the server
    const pending = /name="pending" value="([^"]+)"/.exec(html)![1]!;

    const wrong = await postForm(action, { pending, totp: "000000" === totpCode(STAFF_SECRET, clock) ? "111111" : "000000" });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Incorrect TOTP code");
    clock += 30_000;
    const done = await postForm(action, { pending, totp: totpCode(STAFF_SECRET, clock) });
    expect(done.status).toBe(303);
    const tokens = await exchange("staff", as, new URL(done.headers.get("location")!), state, verifier);
    expect(await issuer.verifyBearer(`Bearer ${tokens.id_token}`)).toMatchObject({ pool: "staff", payload: { "cognito:groups": ["doctor"] } });

    // A pending sign-in belongs to its request: another request's form cannot use it.
    const other = await authorizationUrl("staff");
    const replayed = await postForm(other.target, { pending, totp: totpCode(STAFF_SECRET, clock) });
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain("please sign in again");
  });

  it("answers another pool's account like an unknown one, and locks after repeated failures", async () => {
    const staffOnPatients = await authorizationUrl("patients");
    const refused = await postForm(staffOnPatients.target, { email: "doc@example.com", password: PASSWORD });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("Incorrect email or password");

    await issuer.addUser({ email: "locked@example.com", password: PASSWORD, name: "L", groups: ["patient"] });
    const { target } = await authorizationUrl("patients");
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) last = await postForm(target, { email: "locked@example.com", password: "wrong password!" });
    expect(last!.status).toBe(401);
    expect(await last!.text()).toContain("the account is locked until");
    const rightPassword = await postForm(target, { email: "locked@example.com", password: PASSWORD });
    expect(rightPassword.status).toBe(401);
  });

  describe("refuses codes", () => {
    it("with a wrong verifier, and the code is dead afterwards", async () => {
      const { verifier, target } = await authorizationUrl("patients");
      const redirected = await signInOnPage(target, "pat@example.com");
      const code = redirected.searchParams.get("code")!;
      const base = { grant_type: "authorization_code", code, redirect_uri: callback, client_id: client("patients").client_id };
      const wrong = await tokenRequest("patients", { ...base, code_verifier: oauth.generateRandomCodeVerifier() });
      expect([wrong.status, wrong.body.error]).toEqual([400, "invalid_grant"]);
      expect(wrong.headers.get("cache-control")).toBe("no-store");
      const right = await tokenRequest("patients", { ...base, code_verifier: verifier });
      expect([right.status, right.body.error]).toEqual([400, "invalid_grant"]);
    });

    it("used twice: the second is refused and the first's tokens are revoked", async () => {
      const { as, verifier, state, target } = await authorizationUrl("patients");
      const redirected = await signInOnPage(target, "pat@example.com");
      const tokens = await exchange("patients", as, redirected, state, verifier);
      const again = await tokenRequest("patients", {
        grant_type: "authorization_code",
        code: redirected.searchParams.get("code")!,
        redirect_uri: callback,
        client_id: client("patients").client_id,
        code_verifier: verifier,
      });
      expect([again.status, again.body.error]).toEqual([400, "invalid_grant"]);
      await expect(issuer.verifyBearer(`Bearer ${tokens.id_token}`)).rejects.toMatchObject({ status: 401 });
      const refresh = await tokenRequest("patients", { grant_type: "refresh_token", refresh_token: tokens.refresh_token!, client_id: client("patients").client_id });
      expect(refresh.body.error).toBe("invalid_grant");
    });

    it("with another redirect_uri, another pool's client, or after 5 minutes", async () => {
      const exchangeFields = async (pool: Pool = "patients") => {
        const { verifier, target } = await authorizationUrl(pool);
        const redirected = await signInOnPage(target, pool === "staff" ? "doc@example.com" : "pat@example.com", pool);
        return { grant_type: "authorization_code", code: redirected.searchParams.get("code")!, redirect_uri: callback, client_id: client(pool).client_id, code_verifier: verifier };
      };
      const otherRedirect = await tokenRequest("patients", { ...(await exchangeFields()), redirect_uri: `${url}/elsewhere` });
      expect([otherRedirect.status, otherRedirect.body.error]).toEqual([400, "invalid_grant"]);

      const patientsCode = await exchangeFields();
      const atStaff = await tokenRequest("staff", patientsCode);
      expect([atStaff.status, atStaff.body.error]).toEqual([401, "invalid_client"]);
      const atStaffWithItsClient = await tokenRequest("staff", { ...patientsCode, client_id: client("staff").client_id });
      expect([atStaffWithItsClient.status, atStaffWithItsClient.body.error]).toEqual([400, "invalid_grant"]);

      const expiring = await exchangeFields();
      clock += CODE_TTL_MS + 1_000;
      const late = await tokenRequest("patients", expiring);
      expect([late.status, late.body.error]).toEqual([400, "invalid_grant"]);
    });
  });

  describe("refuses authorization requests as RFC 6749 §4.1.2.1 says", () => {
    it("an unknown client or an unregistered redirect_uri: an error page, never a redirect", async () => {
      for (const overrides of [
        { client_id: "someone-else" },
        { client_id: undefined },
        { client_id: issuer.pools.staff.clientId }, // the other pool's client
        { redirect_uri: "https://evil.example/auth/callback" },
        { redirect_uri: `${url}/auth/callback/../../steal` },
        { redirect_uri: undefined },
      ]) {
        const { target } = await authorizationUrl("patients", overrides);
        const res = await fetch(target, { redirect: "manual" });
        expect(res.status, JSON.stringify(overrides)).toBe(400);
        expect(res.headers.get("location")).toBeNull();
        expect(await res.text()).toMatch(/<h1>(Unknown app client|Sign-in request refused)<\/h1>/);
      }
    });

    it("anything else: back to the redirect_uri with error and state", async () => {
      const cases: Array<[Record<string, string | undefined>, string]> = [
        [{ code_challenge: undefined }, "invalid_request"],
        [{ code_challenge_method: "plain" }, "invalid_request"],
        [{ code_challenge: "too-short" }, "invalid_request"],
        [{ response_type: "token" }, "unsupported_response_type"],
        [{ response_type: undefined }, "invalid_request"],
        [{ scope: "openid admin" }, "invalid_scope"],
        [{ scope: "email" }, "invalid_scope"],
        [{ prompt: "none" }, "login_required"],
      ];
      for (const [overrides, error] of cases) {
        const { target, state } = await authorizationUrl("patients", overrides);
        const res = await fetch(target, { redirect: "manual" });
        expect(res.status, JSON.stringify(overrides)).toBe(302);
        const location = new URL(res.headers.get("location")!);
        expect(`${location.origin}${location.pathname}`).toBe(callback);
        expect([location.searchParams.get("error"), location.searchParams.get("state")], JSON.stringify(overrides)).toEqual([error, state]);
      }
      const { target } = await authorizationUrl("patients");
      target.searchParams.append("scope", "openid");
      const repeated = new URL((await fetch(target, { redirect: "manual" })).headers.get("location")!);
      expect(repeated.searchParams.get("error")).toBe("invalid_request");
    });
  });

  it("answers token-endpoint misuse with RFC 6749 §5.2 errors", async () => {
    const clientId = client("patients").client_id;
    const json = await fetch(`${issuer.pools.patients.issuerUrl}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "refresh_token", client_id: clientId }),
    });
    expect([json.status, ((await json.json()) as Json).error]).toEqual([400, "invalid_request"]);
    expect((await tokenRequest("patients", { grant_type: "password", client_id: clientId })).body.error).toBe("unsupported_grant_type");
    expect((await tokenRequest("patients", { grant_type: "refresh_token", client_id: clientId })).body).toEqual({
      error: "invalid_request",
      error_description: "refresh_token is required",
    });
    expect((await tokenRequest("patients", { grant_type: "refresh_token", refresh_token: "x" })).status).toBe(401);
    const basic = await tokenRequest("patients", { grant_type: "refresh_token", refresh_token: "x", client_id: clientId }, { authorization: "Basic eDp5" });
    expect([basic.status, basic.body.error, basic.headers.get("www-authenticate")]).toEqual([401, "invalid_client", 'Basic realm="carebook-local"']);
    const shortVerifier = await tokenRequest("patients", { grant_type: "authorization_code", code: "c", redirect_uri: callback, client_id: clientId, code_verifier: "short" });
    expect(shortVerifier.body.error).toBe("invalid_request");
    expect((await tokenRequest("patients", { grant_type: "refresh_token", refresh_token: "nope", client_id: clientId })).body.error).toBe("invalid_grant");
  });

  it("revokes only refresh tokens of its own pool, and answers 200 for unknown ones (RFC 7009)", async () => {
    const revoke = (pool: Pool, fields: Record<string, string>) =>
      fetch(`${issuer.pools[pool].issuerUrl}/oauth2/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: client(pool).client_id, ...fields }),
      });
    const tokens = await issuer.issueTokens({ email: "pat@example.com", password: PASSWORD });
    expect((await revoke("patients", { token: "unknown-token" })).status).toBe(200);
    const access = await revoke("patients", { token: tokens.accessToken });
    expect([access.status, ((await access.json()) as Json).error]).toEqual([400, "unsupported_token_type"]);
    // The staff pool does not know a patients-pool session.
    expect((await revoke("staff", { token: tokens.refreshToken })).status).toBe(200);
    const atStaff = await tokenRequest("staff", { grant_type: "refresh_token", refresh_token: tokens.refreshToken, client_id: client("staff").client_id });
    expect(atStaff.body.error).toBe("invalid_grant");
    await expect(issuer.refreshTokens({ refreshToken: tokens.refreshToken })).resolves.toBeTruthy();
    expect((await revoke("patients", { token: tokens.refreshToken, token_type_hint: "refresh_token" })).status).toBe(200);
    await expect(issuer.refreshTokens({ refreshToken: tokens.refreshToken })).rejects.toMatchObject({ code: "INVALID_REFRESH_TOKEN" });
  });

  it("logs out to a registered logout_uri only", async () => {
    const logout = (query: Record<string, string>) =>
      fetch(`${issuer.pools.staff.issuerUrl}/logout?${new URLSearchParams(query)}`, { redirect: "manual" });
    const ok = await logout({ client_id: client("staff").client_id, logout_uri: `${url}/signin` });
    expect([ok.status, ok.headers.get("location")]).toEqual([302, `${url}/signin`]);
    for (const query of [
      { client_id: client("staff").client_id, logout_uri: "https://evil.example/signin" } as Record<string, string>,
      { client_id: client("patients").client_id, logout_uri: `${url}/signin` },
      { client_id: client("staff").client_id },
    ]) {
      const refused = await logout(query);
      expect([refused.status, refused.headers.get("location")]).toEqual([400, null]);
    }
  });

  it("creates a patient account on the patients pool's sign-up page (profile included), not on the staff pool's", async () => {
    const { as, verifier, state, target } = await authorizationUrl("patients");
    const signUpUrl = new URL(target);
    signUpUrl.pathname = signUpUrl.pathname.replace(/\/oauth2\/authorize$/, "/signup"); // as the app's "Create an account"
    expect((await fetch(signUpUrl)).status).toBe(200);

    const short = await postForm(signUpUrl, { name: "New", email: "new@example.com", password: "short" });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain("Password must be at least 12 characters");

    const created = await postForm(signUpUrl, { name: "New Patient", email: "new@example.com", password: PASSWORD });
    expect(created.status).toBe(303);
    expect(signedUp.map((u) => u.email)).toContain("new@example.com");
    const tokens = await exchange("patients", as, new URL(created.headers.get("location")!), state, verifier);
    expect((await issuer.verifyBearer(`Bearer ${tokens.id_token}`)).payload).toMatchObject({ email: "new@example.com", name: "New Patient" });

    const taken = await postForm(signUpUrl, { name: "Again", email: "new@example.com", password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain("sign in instead");

    const staffSignUp = new URL((await authorizationUrl("staff")).target);
    staffSignUp.pathname = staffSignUp.pathname.replace(/\/oauth2\/authorize$/, "/signup");
    expect((await fetch(staffSignUp)).status).toBe(403);
  });
});

describe("the runtime's /config.json (CAREBOOK_WEB_AUTH)", () => {
  const pools = {
    patients: { pool: "patients", issuerUrl: "http://127.0.0.1:3000/local-auth/pools/patients", clientId: "c-patients" },
    staff: { pool: "staff", issuerUrl: "http://127.0.0.1:3000/local-auth/pools/staff", clientId: "c-staff" },
  } as const;

  it("reads the mode, refusing anything but local and hosted", () => {
    expect(webAuthMode({})).toBe("local");
    expect(webAuthMode({ CAREBOOK_WEB_AUTH: "hosted" })).toBe("hosted");
    expect(() => webAuthMode({ CAREBOOK_WEB_AUTH: "cognito" })).toThrow(/must be "local" or "hosted"/);
  });

  it("serves the hosted mode as the Web stack's cognito config, with the local pools", async () => {
    expect(webConfig("local")).toEqual({ authMode: "local" });
    const dist = mkdtempSync(join(tmpdir(), "carebook-dist-"));
    try {
      mkdirSync(dist, { recursive: true });
      writeFileSync(join(dist, "index.html"), "<!doctype html>");
      const route = webAppRoute({ distDir: dist, auth: "hosted", issuer: { pools } });
      const server = createServer((req, res) => void route(req, res));
      const url = await listen(server, 0);
      try {
        expect(await (await fetch(`${url}/config.json`)).json()).toEqual({
          authMode: "cognito",
          cognito: {
            patients: { issuer: pools.patients.issuerUrl, clientId: "c-patients" },
            staff: { issuer: pools.staff.issuerUrl, clientId: "c-staff" },
          },
        });
      } finally {
        await new Promise((r) => server.close(r));
      }
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
