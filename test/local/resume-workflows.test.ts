/**
 * Executions of the local Step Functions live in memory; with kept data, a restart starts them
 * again (packages/local/src/workflows.ts resumeWorkflows). Two runtime processes on one data dir.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoUsers } from "../../packages/local/src/seed";
import { totpCode } from "../../packages/local/src/totp";
import { spawnRuntime, type RuntimeProcess } from "../support/runtime-process";

const dataDir = mkdtempSync(join(tmpdir(), "carebook-resume-"));
let runtime: RuntimeProcess | undefined;

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(runtime!.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Demo staff need the TOTP code of their seeded secret (the staff pool requires MFA). */
async function token(email: string, password: string) {
  const secret = demoUsers.find((u) => u.email === email)?.totpSecret;
  const totp = secret ? totpCode(secret, Date.now()) : undefined;
  return (await call("POST", "/local-auth/token", undefined, { email, password, totp })).body.idToken as string;
}

async function executions(): Promise<Array<{ workflow: string; name: string; status: string; currentStates: string[]; input: any }>> {
  return (await call("GET", "/local/executions")).body.executions;
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A weekday at least `days` ahead (UTC date). */
function weekday(days: number) {
  for (let i = days; ; i++) {
    const d = new Date(Date.now() + i * 86_400_000);
    if (d.getUTCDay() >= 1 && d.getUTCDay() <= 5) return d.toISOString().slice(0, 10);
  }
}

async function slotAt(patient: string, typeId: string, date: string, hhmm: string) {
  const q = new URLSearchParams({ typeId, clinicId: "london-central", from: date, to: date });
  const res = await call("GET", `/api/appointments/available-slots?${q}`, patient);
  return (res.body.slots as Array<{ start: string; localStart: string }>).find((s) => s.localStart.startsWith(`${date}T${hhmm}`))!;
}

describe("workflows across a restart of the local runtime (kept data)", () => {
  it("a pending hold's pre-screening and a booking's reminders carry on after the restart", async () => {
    const env = { CAREBOOK_DATA_DIR: dataDir };
    runtime = await spawnRuntime(["--no-sweeper"], { env, persist: true });
    const signup = await call("POST", "/local-auth/signup", undefined, { email: "resume@test.carebook.test", password: "correct-horse-battery", name: "Resume Case" });
    expect(signup.status).toBe(201);
    let patient = await token("resume@test.carebook.test", "correct-horse-battery");
    const date = weekday(4);
    const held = await call("POST", "/api/appointments", patient, { typeId: "vaccination", clinicId: "london-central", start: (await slotAt(patient, "vaccination", date, "10:00")).start });
    const booked = await call("POST", "/api/appointments", patient, { typeId: "general-consultation", clinicId: "london-central", start: (await slotAt(patient, "general-consultation", date, "14:00")).start });
    expect([held.status, held.body.status, booked.status, booked.body.status]).toEqual([201, "pending", 201, "booked"]);
    await until(executions, (e) => e.some((x) => x.name === held.body.id && x.currentStates.includes("AwaitAnswers")));

    await runtime.stop();
    runtime = await spawnRuntime(["--no-sweeper"], { env, persist: true });

    const after = await until(executions, (e) => e.some((x) => x.name === held.body.id && x.currentStates.includes("AwaitAnswers")));
    expect(after.find((x) => x.name === held.body.id)).toMatchObject({ workflow: "prescreening", status: "RUNNING" });
    expect(after.find((x) => x.workflow === "reminders" && x.input.appointmentId === booked.body.id)).toMatchObject({ status: "RUNNING" });

    // The patient (kept by the local issuer) answers; the nurse approves; it is booked.
    patient = await token("resume@test.carebook.test", "correct-horse-battery");
    const answered = await call("POST", `/api/appointments/${held.body.id}/prescreening`, patient, {
      answers: { vaccine: "tetanus", fever: false, "previous-reaction": false, pregnant: "not-applicable", "blood-thinners": false },
    });
    expect(answered.status).toBe(200);
    const nurse = await token("nurse@demo.carebook.test", "carebook-demo-1");
    expect((await call("POST", `/api/staff/prescreening/${held.body.id}/decision`, nurse, { decision: "approve" })).status).toBe(200);
    const final = await until(() => call("GET", `/api/appointments/${held.body.id}`, patient), (r) => r.body.status === "booked");
    expect(final.body.status).toBe("booked");
  });
});
