import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createDb } from "@carebook/core/entities/index";
import { makeDocumentClient } from "@carebook/local/dynamo";

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

export async function signIn(email: string, password = DEMO_PASSWORD): Promise<string> {
  const res = await api("POST", "/local-auth/token", { body: { email, password } });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.idToken;
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
