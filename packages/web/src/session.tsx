/**
 * The signed-in session: tokens (kept in sessionStorage, so a closed tab signs out), their
 * refresh before expiry, who the caller is (GET /api/me), and the typed client bound to it.
 *
 * Locally the runtime's issuer answers at /local-auth (one endpoint for both pools, staff with
 * TOTP); a deployed stage signs in on its Cognito pools' hosted pages (auth/cognito.ts).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, createClient, type Call, type ResponseOf } from "./api/client";
import { completeSignIn, refreshPoolTokens, signOutOfPool, type Pool } from "./auth/cognito";
import { config } from "./config";
import { clearSnapshot } from "./offline";

export type Me = ResponseOf<"GET /api/me">;
export type Role = "patient" | "doctor" | "nurse" | "admin" | "support";

interface Tokens {
  idToken: string;
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
  /** The Cognito pool that issued them (none: the local issuer). */
  pool?: Pool;
}

const STORAGE_KEY = "carebook.session";
/** Who the caller is, kept with the tokens so the app can render when Carebook is unreachable. */
const ME_KEY = "carebook.me";

function loadMe(): Me | undefined {
  try {
    const raw = sessionStorage.getItem(ME_KEY);
    return raw ? (JSON.parse(raw) as Me) : undefined;
  } catch {
    return undefined;
  }
}

function loadTokens(): Tokens | undefined {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : undefined;
  } catch {
    return undefined;
  }
}

function storeTokens(tokens: Tokens | undefined) {
  if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else {
    sessionStorage.removeItem(STORAGE_KEY);
    sessionStorage.removeItem(ME_KEY);
  }
}

async function authPost(path: string, body: unknown): Promise<Record<string, unknown>> {
  if (config.authMode !== "local") throw new ApiError(400, "COGNITO_SIGN_IN", "This Carebook signs in on its sign-in page");
  let response: Response;
  try {
    response = await fetch(`${config.apiUrl}/local-auth/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "Carebook cannot be reached. Check your connection and try again.");
  }
  const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = (parsed.error ?? {}) as { code?: string; message?: string; details?: unknown };
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? response.statusText, error.details);
  }
  return parsed;
}

function tokensFrom(answer: { idToken?: unknown; refreshToken?: unknown; expiresIn?: unknown }, previous?: Tokens, pool?: Pool): Tokens {
  return {
    idToken: answer.idToken as string,
    refreshToken: (answer.refreshToken as string | undefined) ?? previous?.refreshToken,
    expiresAt: Date.now() + Number(answer.expiresIn ?? 900) * 1000,
    ...((pool ?? previous?.pool) ? { pool: pool ?? previous?.pool } : {}),
  };
}

/** New tokens for the session's refresh token, from whoever issued them. */
async function refreshed(current: Tokens): Promise<Tokens> {
  if (current.pool) return tokensFrom(await refreshPoolTokens(current.pool, current.refreshToken!), current);
  return tokensFrom(await authPost("token", { grantType: "refresh_token", refreshToken: current.refreshToken }), current);
}

/** Roles of the signed-in caller: a patient, or the staff record's roles. */
export function rolesOf(me: Me | undefined): Role[] {
  if (!me) return [];
  return me.kind === "patient" ? ["patient"] : (me.roles as Role[]);
}

interface SessionValue {
  me: Me | undefined;
  roles: Role[];
  /** The session is being restored from storage. */
  loading: boolean;
  call: Call;
  /** The current bearer token (refreshed when close to expiry), for the WebSocket. */
  token: () => Promise<string | undefined>;
  /** Local issuer: e-mail, password (and TOTP). */
  signIn(input: { email: string; password: string; totp?: string }): Promise<Me>;
  /** Cognito: at /auth/callback, the hosted page's answer for tokens. */
  completePoolSignIn(callback: URL): Promise<Me>;
  signUp(input: { name: string; email: string; password: string }): Promise<Me>;
  signOut(): Promise<void>;
  refreshMe(): Promise<void>;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [tokens, setTokens] = useState<Tokens | undefined>(loadTokens);
  const [me, setMeState] = useState<Me | undefined>(() => (loadTokens() ? loadMe() : undefined));
  const setMe = useCallback((value: Me | undefined) => {
    if (value) sessionStorage.setItem(ME_KEY, JSON.stringify(value));
    setMeState(value);
  }, []);
  const [loading, setLoading] = useState(() => loadTokens() !== undefined);

  const update = useCallback(
    (next: Tokens | undefined) => {
      storeTokens(next);
      setTokens(next);
      if (!next) setMe(undefined);
    },
    [setMe],
  );

  // Refreshed once at a time; a refresh that fails ends the session.
  const token = useMemo(() => {
    let refreshing: Promise<Tokens | undefined> | undefined;
    return async () => {
      const current = loadTokens();
      if (!current) return undefined;
      if (current.expiresAt - Date.now() > 60_000) return current.idToken;
      if (!current.refreshToken) return current.idToken;
      refreshing ??= refreshed(current)
        .then((next) => {
          update(next);
          return next;
        })
        .catch((error: unknown) => {
          // Refused: the session is over. Unreachable: keep it for when the network is back.
          if (!(error instanceof ApiError && error.status === 0)) update(undefined);
          return current;
        })
        .finally(() => (refreshing = undefined));
      return (await refreshing)?.idToken;
    };
  }, [update]);

  const call = useMemo(() => createClient({ token, onUnauthorized: () => update(undefined) }), [token, update]);

  const refreshMe = useCallback(async () => {
    setMe(await call("GET /api/me", {}));
  }, [call, setMe]);

  useEffect(() => {
    if (!tokens || me) return;
    let live = true;
    call("GET /api/me", {})
      .then((answer) => live && setMe(answer))
      // Only a refusal ends the session; an unreachable Carebook (status 0) does not.
      .catch((error: unknown) => live && error instanceof ApiError && error.status !== 0 && update(undefined))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [tokens, me, call, update, setMe]);

  const signIn = useCallback(
    async (input: { email: string; password: string; totp?: string }) => {
      const answer = await authPost("token", { email: input.email, password: input.password, ...(input.totp ? { totp: input.totp } : {}) });
      const next = tokensFrom(answer);
      update(next);
      const who = await call("GET /api/me", {});
      setMe(who);
      return who;
    },
    [call, update, setMe],
  );

  const completePoolSignIn = useCallback(
    async (callback: URL) => {
      const { pool, ...answer } = await completeSignIn(callback);
      update(tokensFrom(answer, undefined, pool));
      const who = await call("GET /api/me", {});
      setMe(who);
      return who;
    },
    [call, update, setMe],
  );

  const signUp = useCallback(
    async (input: { name: string; email: string; password: string }) => {
      await authPost("signup", input);
      return signIn({ email: input.email, password: input.password });
    },
    [signIn],
  );

  const signOut = useCallback(async () => {
    const current = loadTokens();
    update(undefined);
    clearSnapshot();
    if (current?.pool) return signOutOfPool(current.pool, current.refreshToken);
    if (current?.refreshToken) await authPost("revoke", { refreshToken: current.refreshToken }).catch(() => undefined);
  }, [update]);

  const value = useMemo<SessionValue>(
    () => ({ me, roles: rolesOf(me), loading: loading && !me, call, token, signIn, completePoolSignIn, signUp, signOut, refreshMe }),
    [me, loading, call, token, signIn, completePoolSignIn, signUp, signOut, refreshMe],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
