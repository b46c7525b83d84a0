import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { createDb } from "@carebook/core/entities/index";
import { makeDocumentClient } from "@carebook/local/dynamo";
import { demoUsers } from "@carebook/local/seed";
import { totpCode, totpStep, totpStepStart } from "@carebook/local/totp";

export const apiUrl = () => inject("apiUrl");

/** Direct access to the runtime's table, for fixtures and for checking claims. */
export const testDb = () => createDb(makeDocumentClient(inject("dynamoEndpoint")), inject("tableName"));

export const DEMO_PASSWORD = "carebook-demo-1";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(apiUrl() + path, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text, the assertion will say so
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/**
 * Signs in and returns the id token. Demo staff (the staff pool requires MFA) sign in with the
 * TOTP code of their seeded secret, computed at `now` — the runtime's clock (default: real
 * time; the workflow tests pass their controllable clock's).
 *
 * A TOTP code signs in once (replays are refused), so a staff account gets about one sign-in
 * per 30-second step. Test files run in parallel workers and many sign in as the same demo
 * staff, so staff tokens are shared through a small file per runtime (named after its staff
 * pool's key, which is new on every start) and reused while they have 10 minutes left.
 */
export async function signIn(email: string, password = DEMO_PASSWORD, options: { now?: () => Promise<number> } = {}): Promise<string> {
  const secret = demoUsers.find((u) => u.email === email)?.totpSecret;
  if (!secret) {
    const res = await api("POST", "/local-auth/token", { body: { email, password } });
    if (res.status !== 200) throw signInError(email, res);
    return res.body.idToken;
  }
  const now = options.now ?? (async () => Date.now());
  const cache = await staffTokenCache();
  for (let round = 0; round < 5; round++) {
    const at = await now();
    const cached = cache.read()[email];
    if (cached && jwtExpiry(cached) - at > 10 * 60_000) return cached;
    // This step's code, else the next one's (the issuer accepts ±1 step), each usable once.
    for (const stepsAhead of [0, 1]) {
      const res = await api("POST", "/local-auth/token", { body: { email, password, totp: totpCode(secret, at + stepsAhead * 30_000) } });
      if (res.status === 200) return cache.write(email, res.body.idToken);
      if (res.body?.error?.code !== "MFA_CODE_REUSED") throw signInError(email, res);
    }
    // Both used by other workers just now: one of them may have cached its token; else wait.
    await new Promise((r) => setTimeout(r, totpStepStart(totpStep(at) + 1) - at + 50));
  }
  throw new Error(`sign-in of ${email}: every TOTP code was already used`);
}

function signInError(email: string, res: ApiResponse): Error {
  return new Error(`sign-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
}

function jwtExpiry(jwt: string): number {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")).exp * 1000;
}

let tokenCache: Promise<{ read(): Record<string, string>; write(email: string, token: string): string }> | undefined;

/** The staff tokens shared by this runtime's test workers (see signIn). */
function staffTokenCache() {
  tokenCache ??= (async () => {
    const jwks = await api("GET", "/local-auth/pools/staff/.well-known/jwks.json");
    const file = join(tmpdir(), `carebook-staff-tokens-${jwks.body.keys[0].kid}.json`);
    const read = (): Record<string, string> => {
      try {
        return JSON.parse(readFileSync(file, "utf8"));
      } catch {
        return {};
      }
    };
    const write = (email: string, token: string) => {
      const tmp = `${file}.${process.pid}.${randomUUID()}`;
      writeFileSync(tmp, JSON.stringify({ ...read(), [email]: token }));
      renameSync(tmp, file);
      return token;
    };
    return { read, write };
  })();
  return tokenCache;
}

/** A fresh patient (sign-up creates the profile), signed in. */
export async function newPatient(name = "Test Patient"): Promise<{ token: string; sub: string; email: string }> {
  const email = `patient-${randomUUID()}@test.carebook.test`;
  const res = await api("POST", "/local-auth/signup", { body: { email, password: "correct-horse-battery", name } });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: await signIn(email, "correct-horse-battery"), sub: res.body.sub, email };
}

export const LONDON = "london-central";
export const GENERAL = "general-consultation";

export async function slots(token: string, query: { typeId?: string; clinicId?: string; from: string; to: string }) {
  const q = new URLSearchParams({ typeId: query.typeId ?? GENERAL, clinicId: query.clinicId ?? LONDON, from: query.from, to: query.to });
  const res = await api("GET", `/api/appointments/available-slots?${q}`, { token });
  if (res.status !== 200) throw new Error(`slots failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.slots as Array<{ start: string; end: string; localStart: string; freeDoctors: number }>;
}

export async function book(token: string, start: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
  return api("POST", "/api/appointments", { token, body: { typeId: GENERAL, clinicId: LONDON, start, ...extra }, headers });
}

/** All claim items (resource, unit → appointment) currently in the table. */
export async function allClaims() {
  const db = testDb();
  const { data } = await db.claim.scan.go({ pages: "all" });
  return data;
}

/** A weekday `weeksAhead` weeks from now (1 = Monday … 5 = Friday), as yyyy-mm-dd in London.
 * Each test file uses its own week, so files running in parallel never share a day. */
export function weekdayAhead(weeksAhead: number, isoWeekday: number): string {
  const d = new Date();
  d.setUTCHours(12, 0, 0, 0);
  const daysToMonday = (8 - (d.getUTCDay() || 7)) % 7 || 7;
  d.setUTCDate(d.getUTCDate() + daysToMonday + 7 * (weeksAhead - 1) + (isoWeekday - 1));
  return d.toISOString().slice(0, 10);
}

/** The slot of a day whose local wall time is `hhmm` (e.g. "11:00"). */
export function slotAt<S extends { localStart: string }>(list: S[], date: string, hhmm: string): S {
  const slot = list.find((s) => s.localStart.startsWith(`${date}T${hhmm}`));
  if (!slot) throw new Error(`no slot at ${date} ${hhmm} among ${list.length}`);
  return slot;
}
