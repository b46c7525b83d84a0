/**
 * Sign-in against a stage's Cognito user pools: the pool's hosted sign-in page with the
 * authorization code flow and PKCE (oauth4webapi), one pool per button — patients (self
 * sign-up, optional TOTP) or staff (TOTP required, or the hospital's identity provider). The
 * pool's app client is public (no secret); tokens come back to /auth/callback.
 *
 * The local runtime serves the same flow from its own issuer (`CAREBOOK_WEB_AUTH=hosted`,
 * packages/local/src/hosted-signin.ts) over plain http on the loopback address; its discovery
 * names its own revocation and logout endpoints, where Cognito's may name none (fallbacks below).
 */
import * as oauth from "oauth4webapi";
import { config } from "../config";

export type Pool = "patients" | "staff";

export interface PoolTokens {
  idToken: string;
  refreshToken?: string;
  expiresIn: number;
}

const PENDING = "carebook.oauth.pending";
const redirectUri = () => `${window.location.origin}/auth/callback`;

function poolConfig(pool: Pool) {
  const pools = config.cognito;
  if (!pools) throw new Error("This build has no Cognito configuration");
  return pools[pool];
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * oauth4webapi refuses plain-http endpoints, rightly: tokens and codes would cross the network in
 * clear. The one exception is the local runtime's issuer, http on this machine's loopback
 * address, where nothing leaves the machine. Decided per endpoint URL, so a discovery document
 * cannot point a loopback issuer's requests at a plain-http host elsewhere.
 */
function transport(endpoint: string | URL | undefined): { [oauth.allowInsecureRequests]?: true } {
  if (!endpoint) return {};
  const url = new URL(endpoint);
  return url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname) ? { [oauth.allowInsecureRequests]: true } : {};
}

type PoolServer = oauth.AuthorizationServer & { revocation_endpoint: string; end_session_endpoint: string };

/** Revocation and logout where discovery names them (the local issuer's own paths), else where
 * Cognito's domain serves them: its discovery document may not name them. */
function withCognitoFallbacks(as: oauth.AuthorizationServer): PoolServer {
  const domain = new URL(as.authorization_endpoint!).origin;
  return {
    ...as,
    revocation_endpoint: as.revocation_endpoint ?? `${domain}/oauth2/revoke`,
    end_session_endpoint: as.end_session_endpoint ?? `${domain}/logout`,
  };
}

const servers = new Map<Pool, Promise<PoolServer>>();
function server(pool: Pool): Promise<PoolServer> {
  let found = servers.get(pool);
  if (!found) {
    const issuer = new URL(poolConfig(pool).issuer);
    found = oauth
      .discoveryRequest(issuer, transport(issuer))
      .then((response) => oauth.processDiscoveryResponse(issuer, response))
      .then(withCognitoFallbacks);
    found.catch(() => servers.delete(pool));
    servers.set(pool, found);
  }
  return found;
}

const client = (pool: Pool): oauth.Client => ({ client_id: poolConfig(pool).clientId });

/**
 * Leaves for the pool's hosted page (sign-up page for `signup`); comes back to /auth/callback.
 * `identityProvider` goes straight on to that federated provider's sign-in (Cognito's
 * `identity_provider`), past the pool's own page.
 */
export async function beginSignIn(pool: Pool, mode: "signin" | "signup" = "signin", identityProvider?: string): Promise<void> {
  const as = await server(pool);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ pool, verifier, state }));
  const url = new URL(as.authorization_endpoint!);
  if (mode === "signup") url.pathname = url.pathname.replace(/\/oauth2\/authorize$/, "/signup");
  url.search = new URLSearchParams({
    client_id: poolConfig(pool).clientId,
    redirect_uri: redirectUri(),
    response_type: "code",
    scope: "openid email profile",
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    ...(identityProvider ? { identity_provider: identityProvider } : {}),
  }).toString();
  window.location.assign(url.toString());
}

/** At /auth/callback: the code for tokens (the state and the ID token checked). */
export async function completeSignIn(callback: URL): Promise<PoolTokens & { pool: Pool }> {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!raw) throw new Error("No sign-in was started in this tab");
  const { pool, verifier, state } = JSON.parse(raw) as { pool: Pool; verifier: string; state: string };
  const as = await server(pool);
  const params = oauth.validateAuthResponse(as, client(pool), callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client(pool), oauth.None(), params, redirectUri(), verifier, transport(as.token_endpoint));
  const tokens = await oauth.processAuthorizationCodeResponse(as, client(pool), response, { requireIdToken: true });
  return { pool, idToken: tokens.id_token!, refreshToken: tokens.refresh_token, expiresIn: tokens.expires_in ?? 3600 };
}

export async function refreshPoolTokens(pool: Pool, refreshToken: string): Promise<PoolTokens> {
  const as = await server(pool);
  const response = await oauth.refreshTokenGrantRequest(as, client(pool), oauth.None(), refreshToken, transport(as.token_endpoint));
  const tokens = await oauth.processRefreshTokenResponse(as, client(pool), response);
  return { idToken: tokens.id_token!, refreshToken: tokens.refresh_token ?? refreshToken, expiresIn: tokens.expires_in ?? 3600 };
}

/**
 * Revokes the refresh token (and with it the session's tokens), then ends the hosted page's
 * session, which brings the browser back to /signin. A failed revocation does not keep the user
 * signed in here (the tokens are already gone from this tab), but it is reported.
 */
export async function signOutOfPool(pool: Pool, refreshToken: string | undefined): Promise<void> {
  const as = await server(pool);
  if (refreshToken) {
    try {
      const response = await oauth.revocationRequest(as, client(pool), oauth.None(), refreshToken, transport(as.revocation_endpoint));
      await oauth.processRevocationResponse(response);
    } catch (error) {
      console.warn("Carebook: the refresh token could not be revoked", error);
    }
  }
  const logout = new URL(as.end_session_endpoint);
  logout.search = new URLSearchParams({ client_id: poolConfig(pool).clientId, logout_uri: `${window.location.origin}/signin` }).toString();
  window.location.assign(logout.toString());
}
