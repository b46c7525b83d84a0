/**
 * Sign-in against a stage's Cognito user pools: the pool's hosted sign-in page with the
 * authorization code flow and PKCE (oauth4webapi), one pool per button — patients (self
 * sign-up, optional TOTP) or staff (TOTP required, or the hospital's identity provider). The
 * pool's app client is public (no secret); tokens come back to /auth/callback.
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

const servers = new Map<Pool, Promise<oauth.AuthorizationServer>>();
function server(pool: Pool): Promise<oauth.AuthorizationServer> {
  let found = servers.get(pool);
  if (!found) {
    const issuer = new URL(poolConfig(pool).issuer);
    found = oauth.discoveryRequest(issuer).then((response) => oauth.processDiscoveryResponse(issuer, response));
    found.catch(() => servers.delete(pool));
    servers.set(pool, found);
  }
  return found;
}

const client = (pool: Pool): oauth.Client => ({ client_id: poolConfig(pool).clientId });

/** Leaves for the pool's hosted page (sign-up page for `signup`); comes back to /auth/callback. */
export async function beginSignIn(pool: Pool, mode: "signin" | "signup" = "signin"): Promise<void> {
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
  const response = await oauth.authorizationCodeGrantRequest(as, client(pool), oauth.None(), params, redirectUri(), verifier);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client(pool), response, { requireIdToken: true });
  return { pool, idToken: tokens.id_token!, refreshToken: tokens.refresh_token, expiresIn: tokens.expires_in ?? 3600 };
}

export async function refreshPoolTokens(pool: Pool, refreshToken: string): Promise<PoolTokens> {
  const as = await server(pool);
  const response = await oauth.refreshTokenGrantRequest(as, client(pool), oauth.None(), refreshToken);
  const tokens = await oauth.processRefreshTokenResponse(as, client(pool), response);
  return { idToken: tokens.id_token!, refreshToken: tokens.refresh_token ?? refreshToken, expiresIn: tokens.expires_in ?? 3600 };
}

/** Revokes the refresh token (and the session's tokens), then ends the hosted page's session. */
export async function signOutOfPool(pool: Pool, refreshToken: string | undefined): Promise<void> {
  const as = await server(pool);
  if (refreshToken) await oauth.revocationRequest(as, client(pool), oauth.None(), refreshToken).catch(() => undefined);
  const logout = new URL(as.authorization_endpoint!);
  logout.pathname = "/logout";
  logout.search = new URLSearchParams({ client_id: poolConfig(pool).clientId, logout_uri: `${window.location.origin}/signin` }).toString();
  window.location.assign(logout.toString());
}
