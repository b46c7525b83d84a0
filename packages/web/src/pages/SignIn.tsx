/** Sign in (a TOTP field appears when the account asks for one: staff always) and sign up (patients). */
import { useEffect, useId, useState } from "react";
import { Link, useNavigate } from "react-router";
import { ApiError } from "../api/client";
import { beginSignIn, type Pool } from "../auth/cognito";
import { config } from "../config";
import { ErrorNotice, Notice, Page } from "../components/ui";
import { useSession } from "../session";
import { homeOf } from "../home";
import { loadSnapshot } from "../offline";

/** oauth4webapi's errors (a bad state, a refused code) as this app shows errors. */
const signInFailed = (error: unknown) =>
  error instanceof ApiError ? error : new ApiError(401, "SIGN_IN_FAILED", `Sign-in failed: ${(error as Error).message}`);

/** A stage's Cognito pools: their hosted pages do the e-mail, password, TOTP and sign-up. */
function PoolSignIn() {
  const [error, setError] = useState<unknown>();
  const go = (pool: Pool, mode: "signin" | "signup" = "signin", identityProvider?: string) =>
    void beginSignIn(pool, mode, identityProvider).catch((e: unknown) => setError(signInFailed(e)));
  const hospital = config.cognito?.staff.identityProvider;
  return (
    <Page title="Sign in">
      <div className="stack narrow">
        <button type="button" className="primary" onClick={() => go("patients")}>
          Sign in as a patient
        </button>
        <button type="button" onClick={() => go("patients", "signup")}>
          Create a patient account
        </button>
        {hospital ? (
          <button type="button" onClick={() => go("staff", "signin", hospital)}>
            Staff sign-in with {hospital}
          </button>
        ) : null}
        <button type="button" onClick={() => go("staff")}>
          {hospital ? "Staff sign-in with a Carebook account" : "Staff sign-in"}
        </button>
        <ErrorNotice error={error} />
        {loadSnapshot() ? (
          <p>
            No connection? <Link to="/offline">See the appointments saved on this device</Link>
          </p>
        ) : null}
      </div>
    </Page>
  );
}

/** /auth/callback: back from a pool's hosted page with a code. */
export function AuthCallback() {
  const { completePoolSignIn } = useSession();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    completePoolSignIn(new URL(window.location.href))
      .then((me) => navigate(homeOf(me), { replace: true }))
      .catch((e: unknown) => setError(signInFailed(e)));
    // Once: the code can be exchanged only once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <Page title="Signing in">
      {error ? (
        <>
          <ErrorNotice error={error} />
          <p>
            <Link to="/signin">Try again</Link>
          </p>
        </>
      ) : (
        <p role="status">Signing you in…</p>
      )}
    </Page>
  );
}

export function SignIn() {
  return config.authMode === "cognito" ? <PoolSignIn /> : <PasswordSignIn />;
}

function PasswordSignIn() {
  const { signIn } = useSession();
  const navigate = useNavigate();
  const ids = useId();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [needsTotp, setNeedsTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      const me = await signIn({ email, password, totp: needsTotp ? totp : undefined });
      navigate(homeOf(me), { replace: true });
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "MFA_REQUIRED") setNeedsTotp(true);
      else setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Sign in">
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="field">
          <label htmlFor={`${ids}-email`}>E-mail</label>
          <input id={`${ids}-email`} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-password`}>Password</label>
          <input
            id={`${ids}-password`}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        {needsTotp ? (
          <div className="field">
            <label htmlFor={`${ids}-totp`}>Code from your authenticator app</label>
            <input
              id={`${ids}-totp`}
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              autoFocus
              value={totp}
              onChange={(e) => setTotp(e.target.value.trim())}
            />
          </div>
        ) : null}
        <Notice>{needsTotp ? "This account uses two-step sign-in: enter the 6-digit code." : undefined}</Notice>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <ErrorNotice error={error} />
        <p>
          New patient? <Link to="/signup">Create an account</Link>
        </p>
        {loadSnapshot() ? (
          <p>
            No connection? <Link to="/offline">See the appointments saved on this device</Link>
          </p>
        ) : null}
      </form>
    </Page>
  );
}

export function SignUp() {
  const { signUp } = useSession();
  const navigate = useNavigate();
  const ids = useId();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      await signUp({ name, email, password });
      navigate("/book", { replace: true });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Create an account">
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="field">
          <label htmlFor={`${ids}-name`}>Full name</label>
          <input id={`${ids}-name`} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-email`}>E-mail</label>
          <input id={`${ids}-email`} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-password`}>Password</label>
          <input
            id={`${ids}-password`}
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            aria-describedby={`${ids}-password-hint`}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <p className="hint" id={`${ids}-password-hint`}>
            At least 12 characters.
          </p>
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
        <ErrorNotice error={error} />
        <p>
          Already have an account? <Link to="/signin">Sign in</Link>
        </p>
      </form>
    </Page>
  );
}
