/**
 * Where the app finds Carebook. Locally the runtime serves the app on the API's own origin, so
 * every default is relative to the page; the Web stack sets the VITE_* variables per stage.
 */
const env = import.meta.env;

function defaultWebSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/ws`;
}

export const config = {
  /** The HTTP API's base URL ("" = this origin). */
  apiUrl: (env.VITE_API_URL as string | undefined) ?? "",
  /** The WebSocket API's URL. */
  webSocketUrl: (env.VITE_WS_URL as string | undefined) ?? defaultWebSocketUrl(),
  /** "local": the runtime's issuer (/local-auth); "cognito": the stage's user pools. */
  authMode: ((env.VITE_AUTH_MODE as string | undefined) ?? "local") as "local" | "cognito",
  /** Cognito (authMode "cognito"): region and the two pools' app clients. */
  cognito: {
    region: env.VITE_COGNITO_REGION as string | undefined,
    patientsClientId: env.VITE_PATIENTS_CLIENT_ID as string | undefined,
    staffClientId: env.VITE_STAFF_CLIENT_ID as string | undefined,
  },
};
