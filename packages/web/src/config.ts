/**
 * Where the app finds Carebook. Locally the runtime serves the app on the API's own origin and
 * signs in at its own issuer: the defaults. A deployed stage's Web stack writes `/config.json`
 * next to the app (its API and WebSocket URLs, its Cognito pools and app clients), read once
 * at start (loadConfig) and remembered for starts without a network.
 */
export interface PoolConfig {
  /** The pool's issuer, https://cognito-idp.<region>.amazonaws.com/<pool id> (OIDC discovery). */
  issuer: string;
  clientId: string;
  /** Staff: the hospital's identity provider federated into the pool (its name in Cognito), if any. */
  identityProvider?: string;
}

export interface AppConfig {
  /** The HTTP API's base URL ("" = this origin). */
  apiUrl: string;
  /** The WebSocket API's URL. */
  webSocketUrl: string;
  /** "local": the runtime's issuer (/local-auth); "cognito": the stage's user pools' hosted sign-in. */
  authMode: "local" | "cognito";
  cognito?: { patients: PoolConfig; staff: PoolConfig };
}

function defaults(): AppConfig {
  const { protocol, host } = window.location;
  return { apiUrl: "", webSocketUrl: `${protocol === "https:" ? "wss:" : "ws:"}//${host}/ws`, authMode: "local" };
}

const REMEMBERED = "carebook.config";

export const config: AppConfig = defaults();

export async function loadConfig(): Promise<void> {
  let stage: Partial<AppConfig> | undefined;
  try {
    const response = await fetch("/config.json", { cache: "no-cache" });
    if (response.ok && response.headers.get("content-type")?.includes("json")) {
      stage = (await response.json()) as Partial<AppConfig>;
      localStorage.setItem(REMEMBERED, JSON.stringify(stage));
    }
  } catch {
    const remembered = localStorage.getItem(REMEMBERED);
    stage = remembered ? (JSON.parse(remembered) as Partial<AppConfig>) : undefined;
  }
  Object.assign(config, stage ?? {});
}
