/**
 * Hosted sign-in for the local issuer's pools, as a Cognito user pool's domain serves it to the
 * deployed web app (packages/web/src/auth/cognito.ts): OAuth 2.0 authorization code with PKCE
 * (RFC 6749, RFC 7636) for a public client, OIDC discovery, refresh, revocation (RFC 7009) and
 * logout. Each pool is its own authorization server at its issuer `${issuerUrl}/pools/<pool>`:
 *
 *   GET  <issuer>/.well-known/openid-configuration   the endpoints below
 *   GET  <issuer>/oauth2/authorize?client_id&redirect_uri&response_type=code&scope&state
 *                                 &code_challenge&code_challenge_method=S256
 *                                 → the sign-in page (e-mail, password; then the TOTP code when the
 *                                   account has one); POSTed back to the same URL; on success
 *                                   303 → redirect_uri?code&state
 *   GET  <issuer>/signup?…same…   patients only: create an account, then as above
 *   POST <issuer>/oauth2/token    form: grant_type=authorization_code (code, redirect_uri,
 *                                 client_id, code_verifier) | refresh_token (refresh_token, client_id)
 *                                 → { id_token, access_token, refresh_token?, token_type, expires_in }
 *   POST <issuer>/oauth2/revoke   form: token (a refresh token), client_id → 200
 *   GET  <issuer>/logout?client_id&logout_uri        → 302 logout_uri
 *
 * Password, TOTP, lockout and tokens are the issuer's own (`issueTokens`, `refreshTokens`,
 * `revoke` in auth.ts), so the API's local authorizer accepts these tokens unchanged. A sign-in
 * starts the issuer's session at once; its code carries the refresh token, and the exchange
 * mints fresh id/access tokens of that session (so their lifetime starts at the exchange).
 *
 * Errors follow RFC 6749: an unknown client or a redirect_uri that is not a registered callback
 * gets an HTML error page (never a redirect: that would be an open redirector); any other
 * problem of an authorization request goes back to the redirect_uri as `error=…&state=…`. The
 * token and revocation endpoints answer `{ error, error_description }` with 400 (401
 * invalid_client).
 *
 * Codes are single use, live 5 minutes and are bound to the client, the redirect_uri and the
 * PKCE challenge. Whatever its outcome, a code is presented once: a failed exchange, a code that
 * expires uncollected and a second presentation all revoke the session it started (RFC 6749
 * §4.1.2: tokens issued on a reused code SHOULD be revoked). Codes and the TOTP step's pending
 * sign-ins live in memory only: a restart simply asks to sign in again.
 *
 * Allowed callbacks are `${origin}/auth/callback` and logout targets `${origin}/signin` for the
 * runtime's own web origins only (runtime.ts), like the app client's registered URLs in the
 * Auth stack. There is no sign-in cookie: every visit asks for the password, so logout has no
 * session of its own to end (Cognito's ends its hosted-page cookie).
 *
 * The whole issuer is refused outside the local runtime (auth.ts, `assertLocalRuntime`), and
 * these endpoints exist only on an issuer.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { ConflictError, DomainError, ValidationError } from "@carebook/core/errors";
import { POOLS, type LocalIssuer, type LocalUser, type Pool } from "./auth";

export const CODE_TTL_MS = 5 * 60_000;
/** How long the TOTP step waits for the code after a right password. */
export const PENDING_SIGN_IN_TTL_MS = 5 * 60_000;
export const CALLBACK_PATH = "/auth/callback";
export const LOGOUT_PATH = "/signin";
/** The app clients' scopes (stacks/Auth.ts: openid, email, profile). */
const SUPPORTED_SCOPES = ["openid", "email", "profile"];
const DEFAULT_SCOPE = SUPPORTED_SCOPES.join(" ");

// ---------------------------------------------------------------------------------------
// The HTTP shape (http.ts reads the request and writes the answer)

export interface HostedRequest {
  /** The query string, without "?". */
  query: string;
  /** POST: the body as text, with its content type. */
  body?: string;
  contentType?: string;
  authorization?: string;
}

export interface HostedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type HostedEndpoint = (request: HostedRequest) => Promise<HostedResponse>;

export interface HostedSignInOptions {
  issuer: LocalIssuer;
  /** The web app's origins, e.g. "http://127.0.0.1:3000": their /auth/callback and /signin are
   * the only redirect targets. None: every request is refused. */
  webOrigins: readonly string[];
  /** A patient's sign-up: the issuer's plus the patient profile (http.ts). */
  signUp(input: { name: string; email: string; password: string }): Promise<LocalUser>;
}

/** A pool's OpenID discovery document, at `${issuer}/.well-known/openid-configuration`. */
export function openIdConfiguration(issuer: LocalIssuer, pool: Pool) {
  const { issuerUrl } = issuer.pools[pool];
  return {
    issuer: issuerUrl,
    authorization_endpoint: `${issuerUrl}/oauth2/authorize`,
    token_endpoint: `${issuerUrl}/oauth2/token`,
    revocation_endpoint: `${issuerUrl}/oauth2/revoke`,
    end_session_endpoint: `${issuerUrl}/logout`,
    jwks_uri: `${issuerUrl}/.well-known/jwks.json`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none"],
    revocation_endpoint_auth_methods_supported: ["none"],
    id_token_signing_alg_values_supported: ["RS256"],
    subject_types_supported: ["public"],
    scopes_supported: SUPPORTED_SCOPES,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "email", "email_verified", "name", "cognito:groups", "cognito:username"],
  };
}

// ---------------------------------------------------------------------------------------
// Parameters

/** Form or query parameters; an empty value counts as absent (RFC 6749 §3.1), a repeated one is
 * refused by the callers (§3.1, §3.2: "MUST NOT be included more than once"). */
function parseParams(text: string): { get(name: string): string | undefined; repeated: string[] } {
  const params = new URLSearchParams(text);
  const seen = new Map<string, number>();
  for (const [name, value] of params) if (value !== "") seen.set(name, (seen.get(name) ?? 0) + 1);
  return {
    get: (name) => params.getAll(name).find((v) => v !== ""),
    repeated: [...seen].filter(([, n]) => n > 1).map(([name]) => name),
  };
}

const isForm = (contentType: string | undefined) => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? "");

/** RFC 7636 §4.2: BASE64URL(SHA-256(verifier)) is 43 characters. */
const challengeSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
/** RFC 7636 §4.1: 43–128 unreserved characters. */
const verifierSchema = z.string().regex(/^[A-Za-z0-9._~-]{43,128}$/);
/** RFC 6749 Appendix A.5: state is visible ASCII; bounded so a URL stays a URL. */
const stateSchema = z.string().max(1024).regex(/^[\x20-\x7e]+$/);
const scopeSchema = z.string().max(512).regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/);

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

// ---------------------------------------------------------------------------------------
// Authorization requests

interface AuthorizationRequest {
  pool: Pool;
  clientId: string;
  redirectUri: string;
  scope: string;
  state?: string;
  codeChallenge: string;
}

/** Refused without a redirect: an HTML page (unknown client, unregistered redirect_uri). */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/** Refused back to the client's redirect_uri (RFC 6749 §4.1.2.1). */
class RedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly target: { redirectUri: string; state?: string },
  ) {
    super(description);
  }
}

/** An OAuth error of the token or revocation endpoint (RFC 6749 §5.2). */
class EndpointError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/** The canonical query of a validated request: what the page's forms and links carry. */
function requestQuery(request: AuthorizationRequest): string {
  return new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: "code",
    scope: request.scope,
    ...(request.state === undefined ? {} : { state: request.state }),
    code_challenge: request.codeChallenge,
    code_challenge_method: "S256",
  }).toString();
}

function redirectTo(target: string, params: Record<string, string | undefined>, status = 302): HostedResponse {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return { status, headers: { location: url.toString(), "cache-control": "no-store", "referrer-policy": "no-referrer" }, body: "" };
}

// ---------------------------------------------------------------------------------------
// Pages

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; background: #f3f5f8; color: #1a1d21; line-height: 1.5; }
main { max-width: 26rem; margin: 3rem auto; padding: 2rem; background: #fff; border: 1px solid #c9d1db; border-radius: 8px; }
.brand { margin: 0; font-weight: 700; color: #0b4f94; }
h1 { margin: 0.25rem 0 0.25rem; font-size: 1.5rem; }
.context { margin: 0 0 1.5rem; color: #4a5563; font-size: 0.95rem; }
form { display: grid; gap: 1rem; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input { box-sizing: border-box; width: 100%; min-height: 2.5rem; padding: 0.5rem; font: inherit; border: 1px solid #5f6b7a; border-radius: 4px; }
.hint { margin: 0.25rem 0 0; color: #4a5563; font-size: 0.9rem; }
button { min-height: 2.75rem; padding: 0.5rem 1rem; font: inherit; font-weight: 600; color: #fff; background: #0b4f94; border: 0; border-radius: 4px; cursor: pointer; }
a { color: #0b4f94; }
:focus-visible { outline: 3px solid #0b4f94; outline-offset: 2px; }
.error { margin: 0; padding: 0.75rem; color: #8a0010; background: #fdecee; border: 1px solid #8a0010; border-radius: 4px; }
.error ul { margin: 0.25rem 0 0; padding-left: 1.25rem; }
.status { margin: 0; }
`;
// No script at all, and only this stylesheet: the CSP names it by its hash.
const STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const POOL_NAMES: Record<Pool, string> = { patients: "Patients", staff: "Staff" };

function page(options: { status: number; title: string; pool?: Pool; body: string; formTargets: readonly string[] }): HostedResponse {
  const context = options.pool ? `${POOL_NAMES[options.pool]} · local sign-in (stands in for the Cognito hosted page)` : "Local sign-in";
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} – Carebook</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">Carebook</p>
<h1>${escapeHtml(options.title)}</h1>
<p class="context">${escapeHtml(context)}</p>
${options.body}
</main>
</body>
</html>
`;
  return {
    status: options.status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // A password page: nothing but itself, never framed (clickjacking), forms posting only
      // here — and, since browsers check redirects after a POST too, to the app's callbacks.
      "content-security-policy": [
        "default-src 'none'",
        `style-src ${STYLE_HASH}`,
        `form-action 'self' ${options.formTargets.join(" ")}`.trim(),
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join("; "),
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    },
    body: html,
  };
}

function errorBox(message: string | undefined, details: string[] = []): string {
  if (!message) return "";
  const list = details.length ? `<ul>${details.map((d) => `<li>${escapeHtml(d)}</li>`).join("")}</ul>` : "";
  return `<div class="error" role="alert"><p class="status">${escapeHtml(message)}</p>${list}</div>`;
}

// ---------------------------------------------------------------------------------------
// The endpoints

interface CodeGrant {
  pool: Pool;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  /** The session the sign-in started; handed out on the exchange, revoked when it fails. */
  refreshToken: string;
  expiresAt: number;
  presented: boolean;
}

/** A right password waiting for its TOTP code. Kept only in memory, never written into the page. */
interface PendingSignIn {
  request: AuthorizationRequest;
  email: string;
  password: string;
  expiresAt: number;
}

/** The endpoints keyed "METHOD /path" (the issuer's paths), for http.ts to mount. */
export function hostedSignInRoutes(options: HostedSignInOptions): Record<string, HostedEndpoint> {
  const { issuer } = options;
  const now = () => issuer.now();
  const webOrigins = options.webOrigins.map((origin) => new URL(origin).origin);
  const callbacks = new Set(webOrigins.map((origin) => `${origin}${CALLBACK_PATH}`));
  const logoutTargets = new Set(webOrigins.map((origin) => `${origin}${LOGOUT_PATH}`));
  const codes = new Map<string, CodeGrant>();
  const pending = new Map<string, PendingSignIn>();

  /** Drops what has run out; a code never collected takes its sign-in's session with it. */
  async function sweep(): Promise<void> {
    const at = now();
    for (const [ticket, p] of pending) if (p.expiresAt <= at) pending.delete(ticket);
    for (const [code, grant] of codes) {
      if (grant.expiresAt > at) continue;
      codes.delete(code);
      if (!grant.presented) await issuer.revoke({ refreshToken: grant.refreshToken, pool: grant.pool });
    }
  }

  /** RFC 6749 §4.1.1 and RFC 7636 §4.3, in the order §4.1.2.1 asks: client and redirect first. */
  function authorizationRequest(pool: Pool, query: string): AuthorizationRequest {
    const params = parseParams(query);
    const clientId = params.get("client_id");
    if (!clientId || params.repeated.includes("client_id") || clientId !== issuer.pools[pool].clientId) {
      throw new PageError(400, "Unknown app client", "This sign-in request names no app client of this user pool (client_id).");
    }
    const redirectUri = params.get("redirect_uri");
    if (!redirectUri || params.repeated.includes("redirect_uri") || !callbacks.has(redirectUri)) {
      throw new PageError(
        400,
        "Sign-in request refused",
        `redirect_uri must be one of the app client's callback URLs (${[...callbacks].join(", ") || "none registered"}).`,
      );
    }
    // From here on, the client is told through its redirect_uri; state goes back as it came.
    const rawState = params.get("state");
    const state = rawState !== undefined && stateSchema.safeParse(rawState).success ? rawState : undefined;
    const refuse = (error: string, description: string) => new RedirectError(error, description, { redirectUri, state });
    if (rawState !== undefined && state === undefined) throw refuse("invalid_request", "state must be at most 1024 visible ASCII characters");
    if (params.repeated.length) throw refuse("invalid_request", `Parameters sent more than once: ${params.repeated.join(", ")}`);
    const responseType = params.get("response_type");
    if (!responseType) throw refuse("invalid_request", "response_type is required");
    if (responseType !== "code") throw refuse("unsupported_response_type", 'Only response_type "code" is supported');
    const codeChallenge = params.get("code_challenge");
    if (!codeChallenge) throw refuse("invalid_request", "code_challenge is required: this client must use PKCE");
    if (params.get("code_challenge_method") !== "S256") throw refuse("invalid_request", 'code_challenge_method must be "S256"');
    if (!challengeSchema.safeParse(codeChallenge).success) {
      throw refuse("invalid_request", "code_challenge must be the 43-character BASE64URL SHA-256 of the verifier");
    }
    const scope = params.get("scope") ?? DEFAULT_SCOPE;
    const scopes = scopeSchema.safeParse(scope).success ? scope.split(" ") : [""];
    const unknown = scopes.filter((s) => !SUPPORTED_SCOPES.includes(s));
    if (unknown.length) throw refuse("invalid_scope", `Scopes this app client does not have: ${unknown.join(" ") || "(malformed)"}`);
    if (!scopes.includes("openid")) throw refuse("invalid_scope", "openid is required: the app signs in with the ID token");
    // Not refused silently: a client relying on them would accept what it did not ask for.
    if (params.get("nonce") !== undefined) throw refuse("invalid_request", "nonce is not supported by the local issuer (PKCE binds this flow)");
    // Every visit asks for the password: there is never a session to answer prompt=none with.
    if (params.get("prompt") === "none") throw refuse("login_required", "The user must sign in");
    return { pool, clientId, redirectUri, scope: [...new Set(scopes)].join(" "), state, codeChallenge };
  }

  /** Runs an authorization page's handler: a refused request as RFC 6749 says. */
  async function authorizationPage(pool: Pool, request: HostedRequest, run: (r: AuthorizationRequest) => Promise<HostedResponse>) {
    try {
      const validated = authorizationRequest(pool, request.query);
      if (request.body !== undefined && !isForm(request.contentType)) {
        throw new RedirectError("invalid_request", "The form must be application/x-www-form-urlencoded", validated);
      }
      return await run(validated);
    } catch (error) {
      if (error instanceof PageError) return page({ status: error.status, title: error.title, pool, body: `<p>${escapeHtml(error.message)}</p>`, formTargets: [] });
      if (error instanceof RedirectError) {
        return redirectTo(error.target.redirectUri, { error: error.error, error_description: error.description, state: error.target.state });
      }
      throw error;
    }
  }

  /** A finished sign-in: a code for the client, back at its redirect_uri (303: the browser GETs it). */
  async function issueCode(request: AuthorizationRequest, refreshToken: string): Promise<HostedResponse> {
    await sweep();
    const code = randomBytes(32).toString("base64url");
    codes.set(code, {
      pool: request.pool,
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      refreshToken,
      expiresAt: now() + CODE_TTL_MS,
      presented: false,
    });
    return redirectTo(request.redirectUri, { code, state: request.state }, 303);
  }

  const formTargets = [...webOrigins];
  const action = (path: string, request: AuthorizationRequest) => `${path}?${requestQuery(request)}`;

  function signInPage(paths: PoolPaths, request: AuthorizationRequest, view: { status?: number; email?: string; error?: string } = {}) {
    const signUpLink =
      request.pool === "patients"
        ? `<p>New patient? <a href="${escapeHtml(action(paths.signUp, request))}">Create an account</a></p>`
        : "";
    return page({
      status: view.status ?? 200,
      title: "Sign in",
      pool: request.pool,
      formTargets,
      body: `${errorBox(view.error)}
<form method="post" action="${escapeHtml(action(paths.authorize, request))}">
<div><label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(view.email ?? "")}"${view.email ? "" : " autofocus"}></div>
<div><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${view.email ? " autofocus" : ""}></div>
<button type="submit">Sign in</button>
</form>
${signUpLink}`,
    });
  }

  function totpPage(paths: PoolPaths, request: AuthorizationRequest, ticket: string, view: { status?: number; error?: string } = {}) {
    return page({
      status: view.status ?? 200,
      title: "Two-step sign-in",
      pool: request.pool,
      formTargets,
      body: `${errorBox(view.error)}
<p role="status">This account uses two-step sign-in: enter the 6-digit code from your authenticator app.</p>
<form method="post" action="${escapeHtml(action(paths.authorize, request))}">
<input type="hidden" name="pending" value="${escapeHtml(ticket)}">
<div><label for="totp">Code from your authenticator app</label><input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus></div>
<button type="submit">Verify code</button>
</form>
<p><a href="${escapeHtml(action(paths.authorize, request))}">Start again</a></p>`,
    });
  }

  function signUpPage(paths: PoolPaths, request: AuthorizationRequest, view: { status?: number; name?: string; email?: string; error?: string; details?: string[] } = {}) {
    return page({
      status: view.status ?? 200,
      title: "Create an account",
      pool: request.pool,
      formTargets,
      body: `${errorBox(view.error, view.details)}
<form method="post" action="${escapeHtml(action(paths.signUp, request))}">
<div><label for="name">Full name</label><input id="name" name="name" autocomplete="name" required value="${escapeHtml(view.name ?? "")}"></div>
<div><label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(view.email ?? "")}"></div>
<div><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" aria-describedby="password-hint"><p class="hint" id="password-hint">At least 12 characters.</p></div>
<button type="submit">Create account</button>
</form>
<p>Already have an account? <a href="${escapeHtml(action(paths.authorize, request))}">Sign in</a></p>`,
    });
  }

  /** The password (and TOTP) sign-in, on the issuer's own checks; a code once it passes. */
  async function signIn(paths: PoolPaths, request: AuthorizationRequest, body: string): Promise<HostedResponse> {
    const form = parseParams(body);
    const ticket = form.get("pending");
    let attempt: { email: string; password: string; totp?: string };
    if (ticket !== undefined) {
      const waiting = pending.get(ticket);
      const same = waiting && waiting.expiresAt > now() && requestQuery(waiting.request) === requestQuery(request);
      if (!same) return signInPage(paths, request, { status: 400, error: "The sign-in took too long or was interrupted: please sign in again." });
      attempt = { email: waiting.email, password: waiting.password, totp: form.get("totp") ?? "" };
    } else {
      attempt = { email: form.get("email") ?? "", password: form.get("password") ?? "" };
    }
    try {
      const tokens = await issuer.issueTokens({ ...attempt, pool: request.pool });
      if (ticket) pending.delete(ticket);
      return await issueCode(request, tokens.refreshToken);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === "MFA_REQUIRED") {
        await sweep();
        const next = randomBytes(24).toString("base64url");
        pending.set(next, { request, email: attempt.email, password: attempt.password, expiresAt: now() + PENDING_SIGN_IN_TTL_MS });
        return totpPage(paths, request, next);
      }
      // A wrong or replayed code: the same step again, until the lockout says otherwise.
      if (ticket && (error.code === "MFA_CODE_MISMATCH" || error.code === "MFA_CODE_REUSED" || error instanceof ValidationError)) {
        return totpPage(paths, request, ticket, { status: 401, error: error.message });
      }
      if (ticket) pending.delete(ticket);
      return signInPage(paths, request, { status: error.status, email: attempt.email, error: error.message });
    }
  }

  async function signUp(paths: PoolPaths, request: AuthorizationRequest, body: string): Promise<HostedResponse> {
    const form = parseParams(body);
    const input = { name: form.get("name") ?? "", email: form.get("email") ?? "", password: form.get("password") ?? "" };
    try {
      await options.signUp(input);
      const tokens = await issuer.issueTokens({ email: input.email, password: input.password, pool: "patients" });
      return await issueCode(request, tokens.refreshToken);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const details = error instanceof ValidationError && Array.isArray(error.details)
        ? error.details.map((d) => String((d as { message?: unknown }).message ?? d))
        : [];
      const message = error instanceof ConflictError ? `${error.message}: sign in instead.` : error.message;
      return signUpPage(paths, request, { status: error.status, name: input.name, email: input.email, error: message, details });
    }
  }

  // ----- token and revocation endpoints

  /** The form of a token/revocation request from this pool's public client. */
  function clientForm(pool: Pool, request: HostedRequest) {
    if (request.authorization) {
      throw new EndpointError("invalid_client", "This app client is public: it has no secret to authenticate with", 401, {
        "www-authenticate": 'Basic realm="carebook-local"',
      });
    }
    if (!isForm(request.contentType)) throw new EndpointError("invalid_request", "The body must be application/x-www-form-urlencoded");
    const form = parseParams(request.body ?? "");
    if (form.repeated.length) throw new EndpointError("invalid_request", `Parameters sent more than once: ${form.repeated.join(", ")}`);
    const clientId = form.get("client_id");
    if (!clientId) throw new EndpointError("invalid_client", "client_id is required (a public client)", 401);
    if (clientId !== issuer.pools[pool].clientId) throw new EndpointError("invalid_client", "Unknown client_id for this user pool", 401);
    const required = (name: string) => {
      const value = form.get(name);
      if (value === undefined) throw new EndpointError("invalid_request", `${name} is required`);
      return value;
    };
    return { form, required };
  }

  async function exchangeCode(pool: Pool, required: (name: string) => string) {
    const code = required("code");
    const redirectUri = required("redirect_uri");
    const verifier = required("code_verifier");
    if (!verifierSchema.safeParse(verifier).success) {
      throw new EndpointError("invalid_request", "code_verifier must be 43–128 unreserved characters (RFC 7636)");
    }
    await sweep();
    const grant = codes.get(code);
    if (!grant || grant.pool !== pool) throw new EndpointError("invalid_grant", "The authorization code is invalid or has expired");
    const revokeGrant = () => issuer.revoke({ refreshToken: grant.refreshToken, pool });
    if (grant.presented) {
      await revokeGrant();
      throw new EndpointError("invalid_grant", "The authorization code was already used: the tokens issued for it are revoked");
    }
    grant.presented = true;
    if (grant.redirectUri !== redirectUri) {
      await revokeGrant();
      throw new EndpointError("invalid_grant", "redirect_uri differs from the authorization request's");
    }
    if (s256(verifier) !== grant.codeChallenge) {
      await revokeGrant();
      throw new EndpointError("invalid_grant", "code_verifier does not match the code_challenge");
    }
    const tokens = await refreshed(pool, grant.refreshToken);
    return { ...tokens, refresh_token: grant.refreshToken };
  }

  async function refreshed(pool: Pool, refreshToken: string) {
    try {
      const tokens = await issuer.refreshTokens({ refreshToken, pool });
      return { id_token: tokens.idToken, access_token: tokens.accessToken, token_type: tokens.tokenType, expires_in: tokens.expiresIn };
    } catch (error) {
      if (error instanceof DomainError) throw new EndpointError("invalid_grant", "The refresh token is invalid, expired or revoked");
      throw error;
    }
  }

  async function oauthJson(run: () => Promise<unknown>): Promise<HostedResponse> {
    // RFC 6749 §5.1: token answers are never cached.
    const headers = { "content-type": "application/json", "cache-control": "no-store", pragma: "no-cache" };
    try {
      const answer = await run();
      return { status: 200, headers, body: answer === undefined ? "" : JSON.stringify(answer) };
    } catch (error) {
      if (!(error instanceof EndpointError)) throw error;
      return { status: error.status, headers: { ...headers, ...error.headers }, body: JSON.stringify({ error: error.error, error_description: error.description }) };
    }
  }

  // ----- the routes, per pool

  interface PoolPaths {
    authorize: string;
    signUp: string;
  }

  const routes: Record<string, HostedEndpoint> = {};
  for (const pool of POOLS) {
    const base = new URL(issuer.pools[pool].issuerUrl).pathname.replace(/\/+$/, "");
    const paths: PoolPaths = { authorize: `${base}/oauth2/authorize`, signUp: `${base}/signup` };

    routes[`GET ${paths.authorize}`] = (request) =>
      authorizationPage(pool, request, async (validated) => signInPage(paths, validated));
    routes[`POST ${paths.authorize}`] = (request) =>
      authorizationPage(pool, request, (validated) => signIn(paths, validated, request.body ?? ""));

    // Self sign-up is the patients pool's only: staff accounts are made by an administrator.
    const selfSignUp = (run: (validated: AuthorizationRequest) => Promise<HostedResponse>): HostedEndpoint => (request) =>
      authorizationPage(pool, request, async (validated) => {
        if (pool !== "patients") {
          return page({ status: 403, title: "No self sign-up", pool, formTargets: [], body: "<p>Staff accounts are created by an administrator.</p>" });
        }
        return run(validated);
      });
    routes[`GET ${paths.signUp}`] = selfSignUp(async (validated) => signUpPage(paths, validated));
    routes[`POST ${paths.signUp}`] = (request) => selfSignUp((validated) => signUp(paths, validated, request.body ?? ""))(request);

    routes[`POST ${base}/oauth2/token`] = (request) =>
      oauthJson(async () => {
        const { required } = clientForm(pool, request);
        const grantType = required("grant_type");
        if (grantType === "authorization_code") return exchangeCode(pool, required);
        if (grantType === "refresh_token") return refreshed(pool, required("refresh_token"));
        throw new EndpointError("unsupported_grant_type", 'grant_type must be "authorization_code" or "refresh_token"');
      });

    // RFC 7009: 200 whether or not the token was live; only refresh tokens are revocable (as with
    // Cognito's RevokeToken), and revoking one ends every id/access token of its session.
    routes[`POST ${base}/oauth2/revoke`] = (request) =>
      oauthJson(async () => {
        const { form, required } = clientForm(pool, request);
        const token = required("token");
        const hint = form.get("token_type_hint");
        if (hint === "access_token" || token.split(".").length === 3) {
          throw new EndpointError("unsupported_token_type", "Only refresh tokens can be revoked; revoking one ends its session's tokens");
        }
        await issuer.revoke({ refreshToken: token, pool });
        return undefined;
      });

    routes[`GET ${base}/logout`] = async (request) => {
      const params = parseParams(request.query);
      const clientId = params.get("client_id");
      const logoutUri = params.get("logout_uri");
      if (params.repeated.length || clientId !== issuer.pools[pool].clientId || !logoutUri || !logoutTargets.has(logoutUri)) {
        return page({
          status: 400,
          title: "Sign-out request refused",
          pool,
          formTargets: [],
          body: `<p>logout needs this pool's client_id and a logout_uri among the app client's sign-out URLs (${escapeHtml([...logoutTargets].join(", ") || "none registered")}).</p>`,
        });
      }
      return redirectTo(logoutUri, {});
    };
  }
  return routes;
}
