/**
 * The WebSocket API on the local runtime, with real `ws` clients against a spawned `npm start`
 * (in memory): the upgrade's authorization, the client messages, and the domain events pushed
 * through the whole local path — outbox item → stream reader → publisher → local bus → the
 * fan-out consumer → PostToConnection on the local management endpoint → the socket. The
 * booking-to-push latency is measured and printed (the web app's viewers rely on it).
 */
import { randomUUID } from "node:crypto";
import { DateTime } from "luxon";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@carebook/core/entities/index";
import { connectionsOf, getConnection, registerConnection, subscribeSlots } from "@carebook/core/realtime/connections";
import { MAX_SLOT_SUBSCRIPTIONS, slotsTopic, userTopic } from "@carebook/core/realtime/topics";
import { makeDocumentClient } from "../../packages/local/src/dynamo";
import { DEMO_PASSWORD, demoUsers } from "../../packages/local/src/seed";
import { totpCode } from "../../packages/local/src/totp";
import { spawnRuntime, type RuntimeProcess } from "../support/runtime-process";

const LONDON = "london-central";
const GENERAL = "general-consultation";
/** What the web app promises a second viewer (docs/realtime.md). */
const LATENCY_BUDGET_MS = 2_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let runtime: RuntimeProcess;
let db: Db;

async function api(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(runtime.url + path, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { "content-type": "application/json" } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Staff sign in with their TOTP code, which is good once: their tokens are kept for the file. */
const staffTokens = new Map<string, Promise<string>>();

function signIn(email: string, password = DEMO_PASSWORD): Promise<string> {
  const secret = demoUsers.find((u) => u.email === email)?.totpSecret;
  if (!secret) return signInOnce(email, password);
  if (!staffTokens.has(email)) staffTokens.set(email, signInOnce(email, password, secret));
  return staffTokens.get(email)!;
}

async function signInOnce(email: string, password: string, secret?: string): Promise<string> {
  const res = await api("POST", "/local-auth/token", { body: { email, password, ...(secret ? { totp: totpCode(secret, Date.now()) } : {}) } });
  if (res.status !== 200) throw new Error(`sign-in of ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.idToken;
}

async function newPatient(): Promise<{ token: string; sub: string }> {
  const email = `rt-${randomUUID()}@test.carebook.test`;
  const res = await api("POST", "/local-auth/signup", { body: { email, password: "correct-horse-battery", name: "Realtime Patient" } });
  if (res.status !== 201) throw new Error(`sign-up: ${res.status}`);
  return { token: await signIn(email, "correct-horse-battery"), sub: res.body.sub };
}

/** A WebSocket client that keeps every message it gets, with the time it came. */
class Client {
  readonly received: Array<{ at: number; message: Json }> = [];
  private waiters: Array<() => void> = [];
  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.received.push({ at: performance.now(), message: JSON.parse(String(data)) });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(token: string): Promise<Client> {
    const socket = new WebSocket(`${runtime.url.replace(/^http/, "ws")}/ws?token=${encodeURIComponent(token)}`);
    const client = new Client(socket);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(client));
      socket.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message (not yet taken) that matches, waiting up to `timeoutMs` for it. */
  async next(match: (message: Json) => boolean, timeoutMs = 5_000): Promise<{ at: number; message: Json }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((r) => match(r.message));
      if (index >= 0) return this.received.splice(index, 1)[0]!;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => r.message))}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => (clearTimeout(timer), wake()));
      });
    }
  }

  /** Sends a message and waits for the answer (answers come in order here: one at a time). */
  async ask(message: unknown): Promise<Json> {
    this.received.length = 0;
    this.send(message);
    return (await this.next(() => true)).message;
  }

  close(): Promise<void> {
    return new Promise((done) => {
      if (this.socket.readyState === WebSocket.CLOSED) return done();
      this.socket.once("close", () => done());
      this.socket.close();
    });
  }
}

/** The status the server refused an upgrade with (the `ws` client's 'unexpected-response'). */
function refusedWith(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${runtime.url.replace(/^http/, "ws")}${path}`);
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => reject(new Error(`${path} was accepted`)));
    socket.once("error", (error) => reject(error));
  });
}

/** A weekday some weeks ahead (yyyy-mm-dd, London), away from other files' days. */
function weekdayAhead(weeksAhead: number, isoWeekday: number): string {
  const monday = DateTime.now().setZone("Europe/London").startOf("week").plus({ weeks: weeksAhead });
  return monday.plus({ days: isoWeekday - 1 }).toISODate()!;
}

async function freeSlots(token: string, day: string): Promise<Array<{ start: string; end: string; localStart: string }>> {
  const q = new URLSearchParams({ typeId: GENERAL, clinicId: LONDON, from: day, to: day });
  const res = await api("GET", `/api/appointments/available-slots?${q}`, { token });
  expect(res.status).toBe(200);
  return res.body.slots;
}

async function book(token: string, start: string): Promise<{ id: string; bookedAt: number }> {
  const res = await api("POST", "/api/appointments", { token, body: { typeId: GENERAL, clinicId: LONDON, start } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, bookedAt: performance.now() };
}

/** Waits until every push of the events so far had its chance (the stream drained, the bus done). */
async function settle(): Promise<void> {
  expect((await fetch(`${runtime.url}/local/streams/drain`, { method: "POST" })).status).toBe(204);
}

beforeAll(async () => {
  runtime = await spawnRuntime(["--no-sweeper"]);
  db = createDb(makeDocumentClient(runtime.dynamoEndpoint), runtime.tableName);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

describe("connecting", () => {
  it("refuses an upgrade without a token, with a bad token, or at another path", async () => {
    expect(await refusedWith("/ws")).toBe(401);
    expect(await refusedWith("/ws?token=not-a-jwt")).toBe(401);
    const { token } = await newPatient();
    // A token whose signature is not the issuer's.
    const [header, payload] = token.split(".");
    expect(await refusedWith(`/ws?token=${header}.${payload}.${Buffer.from("forged").toString("base64url")}`)).toBe(401);
    expect(await refusedWith(`/elsewhere?token=${token}`)).toBe(404);
  });

  it("registers the connection with its caller's topics, and removes it on close", async () => {
    const patient = await newPatient();
    const nurse = await signIn("nurse@demo.carebook.test");
    const [patientClient, nurseClient] = await Promise.all([Client.open(patient.token), Client.open(nurse)]);
    const patientIds = await connectionsOf(db, userTopic(patient.sub));
    expect(patientIds).toHaveLength(1);
    const registered = await getConnection(db, patientIds[0]!);
    expect(registered).toMatchObject({ sub: patient.sub, roles: ["patient"], clinicIds: [] });
    const nurseIds = await connectionsOf(db, userTopic("demo-nurse"));
    const nurseConnection = await getConnection(db, nurseIds.at(-1)!);
    expect(nurseConnection).toMatchObject({ roles: ["nurse"], clinicIds: [LONDON] });
    expect(await connectionsOf(db, `clinic#${LONDON}`)).toContain(nurseConnection!.connectionId);

    await patientClient.close();
    await nurseClient.close();
    await expectEventually(async () => {
      expect(await getConnection(db, registered!.connectionId)).toBeUndefined();
      expect(await connectionsOf(db, userTopic(patient.sub))).toEqual([]);
      expect(await connectionsOf(db, `clinic#${LONDON}`)).not.toContain(nurseConnection!.connectionId);
    });
  });
});

describe("client messages", () => {
  let client: Client;
  const day = weekdayAhead(30, 2);
  beforeAll(async () => {
    client = await Client.open((await newPatient()).token);
  });
  afterAll(() => client?.close());

  it("subscribes to and unsubscribes from a clinic's day, idempotently", async () => {
    const topic = { topic: "slots", clinicId: LONDON, date: day };
    expect(await client.ask({ action: "subscribe", ...topic })).toEqual({ type: "subscribed", ...topic });
    expect(await client.ask({ action: "subscribe", ...topic })).toEqual({ type: "subscribed", ...topic });
    expect(await connectionsOf(db, slotsTopic(LONDON, day))).toHaveLength(1);
    expect(await client.ask({ action: "unsubscribe", ...topic })).toEqual({ type: "unsubscribed", ...topic });
    expect(await client.ask({ action: "unsubscribe", ...topic })).toEqual({ type: "unsubscribed", ...topic });
    expect(await connectionsOf(db, slotsTopic(LONDON, day))).toEqual([]);
  });

  it("answers bad messages with an error", async () => {
    expect(await client.ask("not json")).toMatchObject({ type: "error", error: { code: "MALFORMED_JSON" } });
    expect(await client.ask({ action: "shout" })).toMatchObject({ type: "error", error: { code: "UNKNOWN_ACTION" } });
    expect(await client.ask({ hello: 1 })).toMatchObject({ type: "error", error: { code: "UNKNOWN_ACTION" } });
    const invalid = await client.ask({ action: "subscribe", topic: "slots", clinicId: LONDON, date: "2026-02-30" });
    expect(invalid).toMatchObject({ type: "error", error: { code: "VALIDATION_FAILED", details: [expect.objectContaining({ path: "date" })] } });
    expect(await client.ask({ action: "subscribe", topic: "slots", clinicId: "no-such-clinic", date: day })).toMatchObject({
      type: "error",
      error: { code: "NOT_FOUND", details: { clinicId: "no-such-clinic" } },
    });
    expect(await client.ask({ action: "ping" })).toEqual({ type: "pong" });
  });

  it(`holds at most ${MAX_SLOT_SUBSCRIPTIONS} clinic days per connection`, async () => {
    const days = Array.from({ length: MAX_SLOT_SUBSCRIPTIONS + 1 }, (_, i) => DateTime.fromISO(day).plus({ days: i }).toISODate()!);
    for (const date of days.slice(0, MAX_SLOT_SUBSCRIPTIONS)) {
      expect(await client.ask({ action: "subscribe", topic: "slots", clinicId: LONDON, date })).toMatchObject({ type: "subscribed" });
    }
    const last = { action: "subscribe", topic: "slots", clinicId: LONDON, date: days.at(-1) };
    expect(await client.ask(last)).toMatchObject({ type: "error", error: { code: "TOO_MANY_SUBSCRIPTIONS" } });
    expect(await client.ask({ ...last, action: "unsubscribe" })).toMatchObject({ type: "unsubscribed" });
    expect(await client.ask({ action: "unsubscribe", topic: "slots", clinicId: LONDON, date: days[0] })).toMatchObject({ type: "unsubscribed" });
    expect(await client.ask(last)).toMatchObject({ type: "subscribed" });
  });
});

describe("pushes from the domain events", () => {
  const day = weekdayAhead(31, 3);
  let viewer: Client;
  let owner: { token: string; sub: string; client: Client };
  let nurse: Client;
  let otherClinicDoctor: Client;
  let slots: Array<{ start: string; end: string; localStart: string }>;

  beforeAll(async () => {
    const [viewerPatient, ownerPatient] = await Promise.all([newPatient(), newPatient()]);
    const [nurseToken, doctorToken] = await Promise.all([signIn("nurse@demo.carebook.test"), signIn("doctor.amsterdam@demo.carebook.test")]);
    [viewer, nurse, otherClinicDoctor] = await Promise.all([Client.open(viewerPatient.token), Client.open(nurseToken), Client.open(doctorToken)]);
    owner = { ...ownerPatient, client: await Client.open(ownerPatient.token) };
    expect(await viewer.ask({ action: "subscribe", topic: "slots", clinicId: LONDON, date: day })).toMatchObject({ type: "subscribed" });
    slots = await freeSlots(viewerPatient.token, day);
    expect(slots.length).toBeGreaterThan(3);
  });
  afterAll(async () => {
    await Promise.all([viewer, owner?.client, nurse, otherClinicDoctor].map((c) => c?.close()));
  });

  it(`tells a viewer of the clinic's day that a slot was taken within ${LATENCY_BUDGET_MS} ms of the booking, and its owner and the clinic's staff the status`, async () => {
    viewer.received.length = 0;
    const requestedAt = performance.now();
    const { id, bookedAt } = await book(owner.token, slots[0]!.start);

    const taken = await viewer.next((m) => m.type === "slots");
    expect(taken.message).toEqual({ type: "slots", clinicId: LONDON, date: day, event: "AppointmentBooked", start: slots[0]!.start, end: slots[0]!.end });
    const latency = taken.at - bookedAt;
    console.info(
      `realtime latency: slot taken seen by a viewer ${Math.round(latency)} ms after the booking's 201 ` +
        `(${Math.round(taken.at - requestedAt)} ms after the request was sent)`,
    );
    expect(latency).toBeLessThan(LATENCY_BUDGET_MS);

    const booked = { type: "appointment", event: "AppointmentBooked", appointmentId: id, status: "booked", clinicId: LONDON, start: slots[0]!.start, at: expect.any(String) };
    expect((await owner.client.next((m) => m.type === "appointment")).message).toEqual(booked);
    expect((await nurse.next((m) => m.type === "appointment" && m.appointmentId === id)).message).toEqual(booked);

    const cancelled = await api("POST", `/api/appointments/${id}/cancel`, { token: owner.token, body: { reason: "cannot make it" } });
    expect(cancelled.status).toBe(200);
    const freedAt = performance.now();
    const freed = await viewer.next((m) => m.type === "slots");
    console.info(`realtime latency: slot freed seen by a viewer ${Math.round(freed.at - freedAt)} ms after the cancellation's answer`);
    // A cancellation carries no end: the fan-out reads it from the appointment.
    expect(freed.message).toEqual({ type: "slots", clinicId: LONDON, date: day, event: "AppointmentCancelled", start: slots[0]!.start, end: slots[0]!.end });
    expect((await owner.client.next((m) => m.type === "appointment")).message).toMatchObject({ event: "AppointmentCancelled", appointmentId: id, status: "cancelled" });
    expect((await nurse.next((m) => m.type === "appointment" && m.appointmentId === id)).message).toMatchObject({ status: "cancelled" });

    await settle();
    // Nothing about another patient's appointment reaches the viewer, nor another clinic's staff.
    expect(viewer.received.map((r) => r.message.type)).not.toContain("appointment");
    expect(otherClinicDoctor.received.filter((r) => r.message.appointmentId === id)).toEqual([]);
  });

  it("tells both days of a reschedule, and stops after an unsubscribe", async () => {
    const { id } = await book(owner.token, slots[1]!.start);
    await viewer.next((m) => m.type === "slots" && m.start === slots[1]!.start);
    const nextDay = DateTime.fromISO(day).plus({ days: 1 }).toISODate()!;
    expect(await viewer.ask({ action: "subscribe", topic: "slots", clinicId: LONDON, date: nextDay })).toMatchObject({ type: "subscribed" });
    const target = (await freeSlots(owner.token, nextDay))[0]!;
    const moved = await api("POST", `/api/appointments/${id}/reschedule`, { token: owner.token, body: { start: target.start } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const [from, to] = await Promise.all([
      viewer.next((m) => m.type === "slots" && m.date === day),
      viewer.next((m) => m.type === "slots" && m.date === nextDay),
    ]);
    expect(from.message).toMatchObject({ event: "AppointmentRescheduled", start: slots[1]!.start, end: slots[1]!.end });
    expect(to.message).toMatchObject({ event: "AppointmentRescheduled", start: target.start, end: target.end });
    expect((await owner.client.next((m) => m.event === "AppointmentRescheduled")).message).toMatchObject({ appointmentId: id, start: target.start });

    for (const date of [day, nextDay]) {
      expect(await viewer.ask({ action: "unsubscribe", topic: "slots", clinicId: LONDON, date })).toMatchObject({ type: "unsubscribed" });
    }
    viewer.received.length = 0;
    const again = await book(owner.token, slots[2]!.start);
    // The owner hears of it, so the fan-out ran; the viewer, unsubscribed, does not.
    await owner.client.next((m) => m.appointmentId === again.id && m.status === "booked");
    await settle();
    expect(viewer.received).toEqual([]);
  });

  it("removes a connection that API Gateway no longer knows (410 Gone) when a push finds it", async () => {
    // As if its $disconnect had been lost: registered, subscribed, but no socket.
    const ghost = `ghost${randomUUID().slice(0, 8)}=`;
    await registerConnection(db, { connectionId: ghost, sub: owner.sub, roles: ["patient"], clinicIds: [], now: Date.now() });
    await subscribeSlots(db, { connectionId: ghost, clinicId: LONDON, date: day });
    expect(await connectionsOf(db, slotsTopic(LONDON, day))).toContain(ghost);

    const { id } = await book(owner.token, slots[3]!.start);
    await owner.client.next((m) => m.appointmentId === id);
    await expectEventually(async () => {
      expect(await getConnection(db, ghost)).toBeUndefined();
      expect(await connectionsOf(db, slotsTopic(LONDON, day))).not.toContain(ghost);
      expect(await connectionsOf(db, userTopic(owner.sub))).not.toContain(ghost);
    });
    // The live connection of the same user is untouched.
    expect(await connectionsOf(db, userTopic(owner.sub))).toHaveLength(1);
  });
});

async function expectEventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
