/**
 * Helpers for the workflow tests: they run against a local runtime started with
 * `--controllable-clock` (test/workflows/global-setup.ts), so hours of workflow time pass by
 * moving the runtime's clock, not by sleeping. Tokens are signed on that clock too, so a
 * person signs in again after a jump (a token from before a 4 h jump has expired, as it would).
 */
import { expect } from "vitest";
import { api, DEMO_PASSWORD, newPatient, signIn } from "../integration/harness";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export async function clockNow(): Promise<number> {
  const res = await api("GET", "/local/clock");
  if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
  return Date.parse(res.body.now);
}

/** Moves the runtime's clock forward; every timer due meanwhile (Wait states, task-token
 * timeouts, the sweeper) fires in order. */
export async function advance(ms: number): Promise<number> {
  const res = await api("POST", "/local/clock", { body: { advanceMs: Math.round(ms) } });
  if (res.status !== 200) throw new Error(`advance: ${res.status} ${JSON.stringify(res.body)}`);
  return Date.parse(res.body.now);
}

export async function advanceTo(at: number): Promise<number> {
  const now = await clockNow();
  return at > now ? advance(at - now) : now;
}

/** Polls (real time) until `check` passes: the workflow's next steps run asynchronously. */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => void, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    try {
      check(value);
      return value;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export interface Person {
  sub: string;
  /** A fresh token on the runtime's clock. */
  token(): Promise<string>;
}

export async function patient(name: string): Promise<Person> {
  const p = await newPatient(name);
  return { sub: p.sub, token: () => signIn(p.email, "correct-horse-battery") };
}

const STAFF = { nurse: "nurse@demo.carebook.test", admin: "admin@demo.carebook.test" } as const;
let staffSignIn: Promise<Record<keyof typeof STAFF, string>> | undefined;

/**
 * Demo staff sign in with a TOTP code computed on the runtime's clock, and signIn reuses a token
 * while it is valid there (a code signs in only once). Both staff get their tokens together, in
 * one shared step: two staff acting "at once" (a test racing their decisions) then send their
 * requests at the same moment, not one right away from the cache and the other after a sign-in.
 */
function staffToken(who: keyof typeof STAFF): Promise<string> {
  staffSignIn ??= (async () => {
    const [nurse, admin] = await Promise.all([STAFF.nurse, STAFF.admin].map((email) => signIn(email, DEMO_PASSWORD, { now: clockNow })));
    return { nurse: nurse!, admin: admin! };
  })().finally(() => {
    staffSignIn = undefined;
  });
  return staffSignIn.then((tokens) => tokens[who]);
}

export const nurse: Person = { sub: "demo-nurse", token: () => staffToken("nurse") };
export const admin: Person = { sub: "demo-admin", token: () => staffToken("admin") };

export async function call(person: Person, method: string, path: string, body?: unknown) {
  return api(method, path, { token: await person.token(), body });
}

/** The first Monday–Friday at least `days` days after `from`, as yyyy-mm-dd (UTC date; London
 * is UTC or UTC+1, and the slots used are mid-morning). */
export function weekdayFrom(from: number, days: number): string {
  for (let i = days; ; i++) {
    const d = new Date(from + i * DAY);
    if (d.getUTCDay() >= 1 && d.getUTCDay() <= 5) return d.toISOString().slice(0, 10);
  }
}

export async function freeSlot(person: Person, typeId: string, date: string, hhmm: string) {
  const q = new URLSearchParams({ typeId, clinicId: "london-central", from: date, to: date });
  const res = await call(person, "GET", `/api/appointments/available-slots?${q}`);
  expect(res.status).toBe(200);
  const slot = (res.body.slots as Array<{ start: string; localStart: string; freeDoctors: number }>).find((s) =>
    s.localStart.startsWith(`${date}T${hhmm}`),
  );
  return slot;
}

export async function bookAt(person: Person, typeId: string, start: string) {
  return call(person, "POST", "/api/appointments", { typeId, clinicId: "london-central", start });
}

export async function appointment(person: Person, id: string) {
  const res = await call(person, "GET", `/api/appointments/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

export interface LocalExecution {
  executionArn: string;
  workflow: string;
  status: string;
  input: any;
  currentStates: string[];
}

export async function executions(): Promise<LocalExecution[]> {
  const res = await api("GET", "/local/executions");
  expect(res.status).toBe(200);
  return Array.isArray(res.body) ? res.body : res.body.executions;
}

export async function executionsOf(appointmentId: string, workflow: string) {
  return (await executions()).filter((e) => e.workflow === workflow && e.input?.appointmentId === appointmentId);
}
