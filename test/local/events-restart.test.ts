/**
 * The events pipeline across crashes of the local runtime (kept data): the stream checkpoint is
 * the durable point between a committed change and its routing (packages/local/src/events.ts),
 * so a crash in between re-delivers, and the consumers' idempotency turns re-delivery into
 * exactly-once effects — outbox messages, reminders executions, metrics, the audit hash chain.
 *
 * Three runtime processes on one data dir. A "crash" is a SIGKILL of the runtime and of its
 * DynamoDB Local JVM: Node cannot take its child down when it is SIGKILLed
 * (packages/local/src/dynamo.ts), and a JVM left holding the data dir would stand in the way of
 * the next process.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@carebook/core/entities/index";
import { makeDocumentClient } from "../../packages/local/src/dynamo";
import { demoUsers } from "../../packages/local/src/seed";
import { totpCode } from "../../packages/local/src/totp";
import { spawnRuntime, type RuntimeProcess } from "../support/runtime-process";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dataDir = resolve(mkdtempSync(join(tmpdir(), "carebook-events-restart-")));
const env = { CAREBOOK_DATA_DIR: dataDir };
const CLINIC = "london-central";
const GENERAL = "general-consultation";
const PATIENT = { email: "crash@test.carebook.test", password: "correct-horse-battery", name: "Crash Case" };

let runtime: RuntimeProcess | undefined;

afterAll(async () => {
  await runtime?.stop();
  await killJvmsOn(dataDir); // after a failed test between the two kills
  rmSync(dataDir, { recursive: true, force: true });
}, 30_000);

// ---- processes ----

function isGone(pid: number): boolean {
  try {
    // A zombie (reparented, not reaped yet) holds no port and no file any more.
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

/** DynamoDB Local JVMs started on `dir` (`java … -dbPath <dir>`), found by their command line
 * so that they are found after their parent died too. */
function jvmsOn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const at = args.indexOf("-dbPath");
    if (at >= 0 && args[at + 1] === dir && !isGone(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

async function waitUntilGone(pids: number[], timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => !isGone(pid))) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.filter((p) => !isGone(p)).join(", ")} did not exit`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function killJvmsOn(dir: string) {
  const pids = jvmsOn(dir);
  for (const pid of pids) process.kill(pid, "SIGKILL");
  await waitUntilGone(pids);
}

/** A crash of the whole machine as far as the runtime is concerned: runtime and JVM SIGKILLed. */
async function crash(r: RuntimeProcess) {
  const jvms = jvmsOn(dataDir);
  expect(jvms, "the runtime's DynamoDB Local JVM").toHaveLength(1);
  const exited = new Promise((done) => r.child.once("exit", done));
  r.child.kill("SIGKILL");
  await exited;
  expect(r.child.signalCode).toBe("SIGKILL");
  // Node could not take it down with it: the JVM outlives a SIGKILLed runtime.
  expect(jvms.every((pid) => !isGone(pid))).toBe(true);
  for (const pid of jvms) process.kill(pid, "SIGKILL");
  await waitUntilGone(jvms);
}

const start = () => spawnRuntime(["--no-sweeper"], { env, persist: true });

// ---- HTTP ----

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(runtime!.url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

/**
 * Demo staff need the TOTP code of their seeded secret (the staff pool requires MFA). A code
 * signs in once: when this step's and the next step's codes are used, wait for a fresh step.
 */
async function token(email: string, password: string): Promise<string> {
  const secret = demoUsers.find((u) => u.email === email)?.totpSecret;
  for (let attempt = 0; ; attempt++) {
    const totp = secret ? totpCode(secret, Date.now() + (attempt % 2) * 30_000) : undefined;
    const res = await call("POST", "/local-auth/token", undefined, { email, password, totp });
    if (res.body?.error?.code === "MFA_CODE_REUSED" && attempt < 5) {
      if (attempt % 2) await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 50));
      continue;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.idToken;
  }
}

async function drain() {
  const res = await call("POST", "/local/streams/drain");
  expect(res.status, JSON.stringify(res.body)).toBe(204);
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface OutboxMessage {
  messageId: string;
  channel: string;
  recipientId: string;
  attachments?: Array<{ contentType: string; content: string }>;
}

async function outbox(recipient: string): Promise<OutboxMessage[]> {
  const res = await call("GET", `/local/outbox?recipient=${encodeURIComponent(recipient)}`);
  expect(res.status).toBe(200);
  return res.body.messages;
}

async function executionsNamed(name: string): Promise<Array<{ workflow: string; name: string; status: string }>> {
  return (await call("GET", `/local/executions?name=${encodeURIComponent(name)}`)).body.executions;
}

async function deliveries(consumer: string): Promise<Array<{ domainEventId?: string; status: string }>> {
  return (await call("GET", `/local/events?consumer=${consumer}`)).body.deliveries;
}

/** The runtime's table (the endpoint changes with every process). */
const tableOf = (r: RuntimeProcess): Db => createDb(makeDocumentClient(r.dynamoEndpoint), r.tableName);

async function eventsOf(db: Db, appointmentId: string) {
  return (await db.domainEvent.query.byAppointment({ appointmentId }).go({ pages: "all" })).data;
}

/** A weekday at least `days` ahead (UTC date). */
function weekday(days: number) {
  for (let i = days; ; i++) {
    const d = new Date(Date.now() + i * 86_400_000);
    if (d.getUTCDay() >= 1 && d.getUTCDay() <= 5) return d.toISOString().slice(0, 10);
  }
}
const day = weekday(18);

async function slotAt(patient: string, hhmm: string) {
  const q = new URLSearchParams({ typeId: GENERAL, clinicId: CLINIC, from: day, to: day });
  const res = await call("GET", `/api/appointments/available-slots?${q}`, patient);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const slot = (res.body.slots as Array<{ start: string; localStart: string }>).find((s) => s.localStart.startsWith(`${day}T${hhmm}`));
  expect(slot, `a free ${hhmm} slot on ${day}`).toBeDefined();
  return slot!.start;
}

async function book(patient: string, hhmm: string) {
  const res = await call("POST", "/api/appointments", patient, { typeId: GENERAL, clinicId: CLINIC, start: await slotAt(patient, hhmm) });
  expect([res.status, res.body.status], JSON.stringify(res.body)).toEqual([201, "booked"]);
  return res.body as { id: string; version: number };
}

async function metrics() {
  const admin = await token("admin@demo.carebook.test", "carebook-demo-1");
  const res = await call("GET", `/api/admin/appointments/metrics?${new URLSearchParams({ clinicId: CLINIC, from: day, to: day })}`, admin);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.totals as Record<string, any>;
}

/** `npm run audit:verify -- --json` beside the running runtime (found through runtime.json). */
function auditVerify(): Promise<{ code: number; result: { ok: boolean; chains: number; links: number; pending: number; problems: unknown[] } }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.TABLE_NAME;
  delete childEnv.CAREBOOK_DYNAMODB_ENDPOINT;
  return new Promise((done, fail) => {
    execFile("npm", ["run", "--silent", "audit:verify", "--", "--json"], { cwd: ROOT, env: childEnv }, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: unknown }).code) : 0;
      try {
        done({ code, result: JSON.parse(stdout) });
      } catch {
        fail(new Error(`audit:verify exited ${code} without JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

// ---- shared between the scenarios ----

let patientSub: string;
let first: { id: string; version: number };

describe("the events pipeline across crashes of the runtime (kept data)", () => {
  it("a crash after the write and before routing still delivers exactly once after restart", { timeout: 180_000 }, async () => {
    runtime = await start();
    const signup = await call("POST", "/local-auth/signup", undefined, PATIENT);
    expect(signup.status).toBe(201);
    patientSub = signup.body.sub;
    let patient = await token(PATIENT.email, PATIENT.password);
    // The runtime at rest first: what the seed committed (the demo day's booking) is routed.
    await drain();

    // Nothing can be routed: every PutEvents of the publisher answers 500.
    expect((await call("POST", "/local/faults", undefined, { events: { PutEvents: 1000 } })).status).toBe(200);
    first = await book(patient, "10:00");
    const [booked] = (await eventsOf(tableOf(runtime), first.id)).filter((e) => e.type === "AppointmentBooked");
    expect(booked, "the AppointmentBooked outbox item, committed with the booking").toBeDefined();

    // The publisher had the event and failed: a drain (which delivers everything committed so
    // far) fails with it, and nothing reached any consumer.
    expect((await call("POST", "/local/streams/drain")).status).toBe(500);
    expect(await outbox(patientSub)).toEqual([]);
    expect((await deliveries("notifications")).filter((d) => d.domainEventId === booked!.eventId)).toEqual([]);
    expect(await executionsNamed(`${first.id}-v${first.version}`)).toEqual([]);
    expect(existsSync(join(dataDir, "streams", "publisher.json")), "the publisher's checkpoint is kept in the data dir").toBe(true);

    await crash(runtime);
    runtime = await start();

    // What committed while no one routed it comes now — once.
    const confirmations = await until(
      async () => (await outbox(patientSub)).filter((m) => m.messageId.endsWith(":confirmation")),
      (m) => m.length > 0,
    );
    await drain();
    const messages = await outbox(patientSub);
    expect(messages.map((m) => m.messageId)).toEqual([`${booked!.eventId}:confirmation`]);
    expect(confirmations).toHaveLength(1);
    expect(messages[0]!.attachments?.[0]?.content).toContain(`UID:${first.id}@carebook`);

    // The reminders: one execution of this appointment version (the restart's resume and the
    // re-delivered event name it alike), and the reminders consumer had the event once.
    const executions = await executionsNamed(`${first.id}-v${first.version}`);
    expect(executions).toHaveLength(1);
    expect(executions[0]).toMatchObject({ workflow: "reminders", status: "RUNNING" });
    const toReminders = (await deliveries("reminders")).filter((d) => d.domainEventId === booked!.eventId);
    expect(toReminders.map((d) => d.status)).toEqual(["delivered"]);
    expect((await call("GET", "/local/dead-letters")).body.deadLetters).toEqual([]);

    // The patient is still there (kept by the local issuer) and sees the booking.
    patient = await token(PATIENT.email, PATIENT.password);
    expect((await call("GET", `/api/appointments/${first.id}`, patient)).body.status).toBe("booked");
  });

  it("every event delivered again from the start of the stream changes nothing", { timeout: 180_000 }, async () => {
    expect(first, "the first scenario's booking").toBeDefined();
    // More events of this clinic-day: a second booking, then its cancellation.
    const patient = await token(PATIENT.email, PATIENT.password);
    const second = await book(patient, "14:00");
    expect((await call("POST", `/api/appointments/${second.id}/cancel`, patient, { reason: "changed plans" })).status).toBe(200);
    await drain();

    const db = tableOf(runtime!);
    const events = [...(await eventsOf(db, first.id)), ...(await eventsOf(db, second.id))];
    expect(events.map((e) => e.type).sort()).toEqual(["AppointmentBooked", "AppointmentBooked", "AppointmentCancelled"]);
    const kindOf: Record<string, string> = { AppointmentBooked: "confirmation", AppointmentCancelled: "cancelled" };
    const expectedMessages = events.map((e) => `${e.eventId}:${kindOf[e.type]}`).sort();
    const messagesBefore = (await outbox(patientSub)).map((m) => m.messageId).sort();
    expect(messagesBefore).toEqual(expectedMessages);

    const metricsBefore = await metrics();
    expect(metricsBefore).toMatchObject({ bookings: 2, cancellations: 1, bookedMinutes: 15, leadTime: { samples: 2 } });
    expect(metricsBefore.notifications.email).toEqual({ delivered: 3, failed: 0 });

    const entries = (await db.auditEntry.query.byClinic({ clinicId: CLINIC }).go({ pages: "all" })).data;
    expect(entries.length).toBeGreaterThanOrEqual(3); // two bookings and a cancellation at least
    const verifiedBefore = await auditVerify();
    expect(verifiedBefore.code, JSON.stringify(verifiedBefore.result.problems)).toBe(0);
    expect(verifiedBefore.result).toMatchObject({ ok: true, pending: 0, problems: [] });
    expect(verifiedBefore.result.links).toBe(entries.length);

    // Stopped; the checkpoints are lost, as if the crash came after the consumers ran and
    // before the checkpoints were written: the next process reads every stream from its start.
    await runtime!.stop();
    const checkpoints = readdirSync(join(dataDir, "streams")).filter((f) => f.endsWith(".json"));
    expect(checkpoints).toEqual(expect.arrayContaining(["auditChain.json", "publisher.json"])); // one per stream consumer
    for (const file of checkpoints) rmSync(join(dataDir, "streams", file));
    runtime = await start();
    await drain();

    // Everything came again…
    const redelivered = (await deliveries("notifications")).map((d) => d.domainEventId);
    // (the demo day's seeded booking among them, once as well)
    expect(redelivered, "each event reached the notifications consumer again").toEqual(expect.arrayContaining(events.map((e) => e.eventId)));
    expect(new Set(redelivered).size, "once each").toBe(redelivered.length);
    // …and took effect once.
    expect((await outbox(patientSub)).map((m) => m.messageId).sort()).toEqual(expectedMessages);
    expect(await executionsNamed(`${first.id}-v${first.version}`)).toHaveLength(1);
    expect(await metrics()).toEqual(metricsBefore);
    const verifiedAfter = await auditVerify();
    expect(verifiedAfter.code, JSON.stringify(verifiedAfter.result.problems)).toBe(0);
    expect(verifiedAfter.result).toMatchObject({ ok: true, pending: 0, problems: [], chains: verifiedBefore.result.chains, links: verifiedBefore.result.links });
    expect((await call("GET", "/local/dead-letters")).body.deadLetters).toEqual([]);
  });
});
