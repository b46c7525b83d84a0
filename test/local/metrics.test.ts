/**
 * The admin metrics against a real DynamoDB Local: a week of a clinic's events applied to the
 * (clinic, day) aggregates exactly once, then read back as the report — counts, booked minutes,
 * utilisation against the doctors' templates, the exact median lead time, SLA met %,
 * notification deliveries — and the route handler and the bus consumer around them.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createDb, type Appointment, type Db, type Doctor } from "@carebook/core/entities/index";
import { NotFoundError, ValidationError } from "@carebook/core/errors";
import { EVENT_SOURCE, readBusEvent, toBusEntry, type BusEvent, type ReceivedEvent } from "@carebook/core/events/bus";
import { buildEvent, type EventDetail, type EventType } from "@carebook/core/events/schemas";
import { applyEvent, recordDelivery } from "@carebook/core/metrics/aggregates";
import { queryMetrics } from "@carebook/core/metrics/query";
import type { WeeklyTemplate } from "@carebook/core/schedule/types";
import { useDynamoLocal } from "../support/dynamo-local";

const METRICS_ROUTE = "GET /api/admin/appointments/metrics";

const local = useDynamoLocal();

async function freshDb(): Promise<Db> {
  return (await local.freshTable("metrics")).db;
}

// ---- a region: two clinics, four doctors ----

const REGION = "r1";
const BERLIN = "Europe/Berlin";
const LONDON = "Europe/London";
const week = (over: Partial<WeeklyTemplate>): WeeklyTemplate => ({ mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...over });
const workday = [
  { start: "09:00", end: "12:00" },
  { start: "13:00", end: "17:00" },
];

function doctor(doctorId: string, clinicIds: string[], template: WeeklyTemplate, over: Partial<Doctor> = {}): Doctor {
  return { doctorId, regionId: REGION, name: doctorId, clinicIds, skills: [], languages: ["en"], template, overrides: [], active: true, ...over };
}

async function seedRegion(db: Db) {
  await db.region.put({ regionId: REGION, name: "North", awsRegion: "eu-central-1", defaultTimeZone: BERLIN, retentionDays: 365, reminderOffsetsMinutes: [1440] }).go();
  const address = { line1: "1 Main St", city: "Town", postcode: "1000", country: "DE" };
  await db.clinic.put({ clinicId: "c1", regionId: REGION, name: "Mitte", timeZone: BERLIN, address, active: true }).go();
  await db.clinic.put({ clinicId: "c2", regionId: REGION, name: "Soho", timeZone: LONDON, address, active: true }).go();
  for (const d of [
    // 7 h Mon–Fri; Wed 8 April off, Thu 9 April only 09:00–11:00.
    doctor("d1", ["c1"], week({ mon: workday, tue: workday, wed: workday, thu: workday, fri: workday }), {
      overrides: [
        { date: "2026-04-08", intervals: [] },
        { date: "2026-04-09", intervals: [{ start: "09:00", end: "11:00" }] },
      ],
    }),
    // At both clinics: Tuesday mornings, 4 h.
    doctor("d2", ["c1", "c2"], week({ tue: [{ start: "08:00", end: "12:00" }] })),
    // Inactive: offers nothing.
    doctor("d3", ["c1"], week({ mon: workday, tue: workday, wed: workday, thu: workday, fri: workday }), { active: false }),
    // Only at c2: Monday 09:00–10:00 London time.
    doctor("d4", ["c2"], week({ mon: [{ start: "09:00", end: "10:00" }] })),
  ]) {
    await db.doctor.put(d).go();
  }
}

// ---- appointments and their events ----

function appointment(appointmentId: string, over: { start: string; minutes: number; createdAt: string; clinicId?: string; doctorId?: string; status?: Appointment["status"]; prescreening?: unknown }): Appointment {
  const end = new Date(Date.parse(over.start) + over.minutes * 60_000).toISOString().replace(".000Z", "Z");
  return {
    appointmentId,
    regionId: REGION,
    clinicId: over.clinicId ?? "c1",
    typeId: "t1",
    patientId: `p-${appointmentId}`,
    doctorId: over.doctorId ?? "d1",
    doctorName: "Dr",
    status: over.status ?? "booked",
    start: over.start,
    end,
    blockStart: over.start,
    blockEnd: end,
    timeZone: over.clinicId === "c2" ? LONDON : BERLIN,
    assignment: { rule: "least-loaded", explanation: "test", candidates: 1 },
    version: 1,
    history: [],
    prescreening: over.prescreening,
    createdAt: over.createdAt,
    updatedAt: over.createdAt,
  };
}

/** An event as a consumer receives it: written by the builder, carried by the bus as JSON,
 * read back and validated by `readBusEvent`. */
function received<T extends EventType>(type: T, a: Appointment, occurredAt: string, detail: EventDetail<T>): ReceivedEvent {
  return readBusEvent(busEvent(buildEvent(type, a, occurredAt, detail)));
}

function busEvent(item: ReturnType<typeof buildEvent>): BusEvent {
  const entry = toBusEntry(item, "carebook-bus");
  return { version: "0", id: randomUUID(), "detail-type": entry.DetailType, source: EVENT_SOURCE, account: "000000000000", time: entry.Time.toISOString(), region: "eu-central-1", resources: [], detail: JSON.parse(entry.Detail) };
}

/** A document client whose first `times` TransactWriteItems are cancelled for a conflict. */
function conflicting(target: DynamoDBDocumentClient, times: number): DynamoDBDocumentClient {
  let left = times;
  const send = async (command: { constructor: { name: string } }) => {
    if (command.constructor.name === "TransactWriteCommand" && left-- > 0) {
      throw Object.assign(new Error("Transaction cancelled"), {
        name: "TransactionCanceledException",
        CancellationReasons: [{ Code: "None" }, { Code: "TransactionConflict" }],
      });
    }
    return target.send(command as never);
  };
  return new Proxy(target, { get: (t, prop, receiver) => (prop === "send" ? send : Reflect.get(t, prop, receiver)) });
}

const ends = (a: Appointment) => ({ start: a.start, end: a.end });
const change = (a: Appointment, version = a.version) => ({ patientId: a.patientId, typeId: a.typeId, doctorId: a.doctorId, version, ...ends(a) });
const outcome = (a: Appointment, version: number) => ({ patientId: a.patientId, start: a.start, doctorId: a.doctorId, version });
const SLA_DUE = "2026-04-04T12:00:00Z";

/**
 * Clinic c1, the week of Monday 6 April 2026 (Berlin, UTC+2):
 * A1 Mon 09:00 30 min, booked 7020 min ahead, fulfilled
 * A2 Tue 10:00 45 min, booked 1440 min ahead (event without `end`), no-show
 * A3 Mon 14:00 30 min, booked 360 min ahead, cancelled
 * A4 Tue 11:00 30 min, booked 2880 min ahead, moved to Thu 09:30
 * A5 Fri 10:00 30 min, held 10080 min ahead; call-patient and approve in time; booked
 * A6 Fri 11:00, held; escalated (the step retried: two events), rejected late, released
 * A7 Fri 12:00, held; lapsed and released by an event that predates `previousStatus`
 */
async function seedWeek(db: Db) {
  const A1 = appointment("A1", { start: "2026-04-06T07:00:00Z", minutes: 30, createdAt: "2026-04-01T10:00:00Z" });
  const A2 = appointment("A2", { start: "2026-04-07T08:00:00Z", minutes: 45, createdAt: "2026-04-06T08:00:00Z" });
  const A3 = appointment("A3", { start: "2026-04-06T12:00:00Z", minutes: 30, createdAt: "2026-04-06T06:00:00Z", status: "cancelled" });
  const A4 = appointment("A4", { start: "2026-04-09T07:30:00Z", minutes: 30, createdAt: "2026-04-05T09:00:00Z" });
  const A4before = { ...A4, start: "2026-04-07T09:00:00Z", end: "2026-04-07T09:30:00Z" };
  const A5 = appointment("A5", { start: "2026-04-10T08:00:00Z", minutes: 30, createdAt: "2026-04-03T08:00:00Z" });
  const released = { state: "released", answerBy: "2026-04-04T08:00:00Z", decideBy: "2026-04-10T06:00:00Z" };
  const A6 = appointment("A6", { start: "2026-04-10T09:00:00Z", minutes: 30, createdAt: "2026-04-03T09:00:00Z", status: "cancelled", prescreening: released });
  const A7 = appointment("A7", { start: "2026-04-10T10:00:00Z", minutes: 30, createdAt: "2026-04-03T10:00:00Z", status: "cancelled", prescreening: released });
  for (const a of [A1, A2, A3, A4, A5, A6, A7]) await db.appointment.put(a).go();

  const { end: _omitted, ...A2withoutEnd } = change(A2);
  const decided = (a: Appointment, decision: "approve" | "reject" | "call-patient", slaMet: boolean) => ({ patientId: a.patientId, start: a.start, decision, slaMet });
  const escalated = { audience: ["nurse", "admin"] as Array<"nurse" | "admin">, slaDueAt: SLA_DUE, decideBy: "2026-04-10T06:00:00Z", start: A6.start };
  return [
    received("AppointmentBooked", A1, "2026-04-01T10:00:00Z", change(A1)),
    received("AppointmentBooked", A2, "2026-04-06T08:00:00Z", A2withoutEnd),
    received("AppointmentBooked", A3, "2026-04-06T06:00:00Z", change(A3)),
    received("AppointmentCancelled", A3, "2026-04-06T07:00:00Z", { patientId: A3.patientId, start: A3.start, reason: "cancelled", version: 2, previousStatus: "booked" }),
    received("AppointmentBooked", A4, "2026-04-05T09:00:00Z", change(A4before)),
    received("AppointmentRescheduled", A4, "2026-04-05T10:00:00Z", {
      patientId: A4.patientId,
      from: A4before.start,
      fromEnd: A4before.end,
      ...ends(A4),
      doctorId: A4.doctorId,
      version: 2,
    }),
    received("AppointmentPending", A5, "2026-04-03T08:00:00Z", change(A5)),
    received("PreScreeningDecided", A5, "2026-04-03T12:00:00Z", decided(A5, "call-patient", true)),
    received("PreScreeningDecided", A5, "2026-04-04T09:00:00Z", decided(A5, "approve", true)),
    received("AppointmentBooked", A5, "2026-04-04T09:00:05Z", change(A5, 4)),
    received("AppointmentPending", A6, "2026-04-03T09:00:00Z", change(A6)),
    received("PreScreeningEscalated", A6, SLA_DUE, escalated),
    received("PreScreeningEscalated", A6, "2026-04-04T12:00:03Z", escalated),
    received("PreScreeningDecided", A6, "2026-04-05T09:00:00Z", decided(A6, "reject", false)),
    received("AppointmentCancelled", A6, "2026-04-05T09:00:02Z", { patientId: A6.patientId, start: A6.start, reason: "prescreening-rejected", version: 4, previousStatus: "pending" }),
    received("AppointmentPending", A7, "2026-04-03T10:00:00Z", change(A7)),
    received("AppointmentCancelled", A7, "2026-04-03T10:15:00Z", { patientId: A7.patientId, start: A7.start, reason: "hold-expired", version: 2 }),
    received("AppointmentFulfilled", A1, "2026-04-06T07:40:00Z", outcome(A1, 2)),
    received("AppointmentNoShow", A2, "2026-04-07T09:00:00Z", outcome(A2, 2)),
    // Not counted: changes nothing, leaves no receipt.
    received("ReminderDue", A1, "2026-04-05T07:00:00Z", { patientId: A1.patientId, kind: "1440m", dueAt: "2026-04-05T07:00:00Z", recordedAt: "2026-04-05T07:00:01Z", start: A1.start, version: 1, doctorName: "Dr" }),
  ];
}

const week6 = { regionId: REGION, clinicId: "c1", from: "2026-04-06", to: "2026-04-12" };
const dayOf = (report: Awaited<ReturnType<typeof queryMetrics>>, day: string) => report.days.find((d) => d.day === day)!;

describe("metrics aggregates", () => {
  it("counts a week of events: bookings, cancellations, holds, outcomes, minutes, utilisation, median lead time, SLA", async () => {
    const db = await freshDb();
    await seedRegion(db);
    const events = await seedWeek(db);
    const results = [];
    for (const e of events) results.push(await applyEvent(db, e));
    expect(results.map((r) => r.outcome)).toEqual([...Array(12).fill("applied"), "duplicate", ...Array(6).fill("applied"), "ignored"]);

    const report = await queryMetrics(db, week6);
    expect(report.totals).toMatchObject({
      bookings: 5,
      holds: 3,
      holdsReleased: 2,
      cancellations: 1,
      reschedules: 1,
      noShows: 1,
      fulfilled: 1,
      // A1 30 + A2 45 + A3 (30 − 30) + A4 30 (moved) + A5 30
      bookedMinutes: 135,
      // d1: Mon 420, Tue 420, Wed off, Thu 120, Fri 420; d2: Tue 240; d3 inactive
      availableMinutes: 1620,
      utilisationPercent: 8.3, // 135 / 1620 = 8.33 %
      // 360, 1440, 2880, 7020, 10080
      leadTime: { medianMinutes: 2880, samples: 5 },
      // SLA periods: A5 call in time, A5 approve in time, A6 escalated (once) → 2 of 3
      prescreening: { decisions: 3, slaMet: 2, escalations: 1, slaMetPercent: 66.7 },
    });
    expect(report.days.map((d) => d.day)).toEqual(["2026-04-06", "2026-04-07", "2026-04-08", "2026-04-09", "2026-04-10", "2026-04-11", "2026-04-12"]);
    expect(report.days.map((d) => [d.bookedMinutes, d.availableMinutes, d.utilisationPercent])).toEqual([
      [30, 420, 7.1],
      [45, 660, 6.8], // A2 45 + A4 30 − 30 moved away
      [0, 0, null],
      [30, 120, 25],
      [30, 420, 7.1],
      [0, 0, null],
      [0, 0, null],
    ]);
    expect(dayOf(report, "2026-04-07")).toMatchObject({ bookings: 2, reschedules: 1, noShows: 1, leadTime: { medianMinutes: 2160, samples: 2 } });
    expect(dayOf(report, "2026-04-10")).toMatchObject({ bookings: 1, holds: 3, holdsReleased: 2, prescreening: { slaMetPercent: 66.7 } });
  });

  it("applies a re-delivered event once, also when the copies arrive at the same time", async () => {
    const db = await freshDb();
    await seedRegion(db);
    const events = await seedWeek(db);
    for (const e of events) await applyEvent(db, e);
    const before = await queryMetrics(db, week6);

    // Every event delivered again: nothing changes.
    const again = await Promise.all(events.map((e) => applyEvent(db, e)));
    expect(again.filter((r) => r.outcome === "applied")).toHaveLength(0);
    expect(await queryMetrics(db, week6)).toEqual(before);

    // One new booking delivered eight times at once: counted once.
    const a = appointment("A9", { start: "2026-04-06T09:00:00Z", minutes: 30, createdAt: "2026-04-02T09:00:00Z" });
    await db.appointment.put(a).go();
    const booked = received("AppointmentBooked", a, a.createdAt, change(a));
    const copies = await Promise.all(Array.from({ length: 8 }, () => applyEvent(db, { ...booked })));
    expect(copies.filter((r) => r.outcome === "applied")).toHaveLength(1);
    expect(copies.filter((r) => r.outcome === "duplicate")).toHaveLength(7);
    const after = await queryMetrics(db, week6);
    expect(after.totals.bookings).toBe(before.totals.bookings + 1);
    expect(after.totals.bookedMinutes).toBe(before.totals.bookedMinutes + 30);
    expect(after.totals.leadTime.samples).toBe(before.totals.leadTime.samples + 1);
  });

  it("applies many different events on one day concurrently without losing any (conflicts are retried)", async () => {
    const db = await freshDb();
    await seedRegion(db);
    const events: ReceivedEvent[] = [];
    for (let i = 0; i < 12; i++) {
      const a = appointment(`B${i}`, { start: "2026-04-06T07:00:00Z", minutes: 15, createdAt: "2026-04-06T05:00:00Z", doctorId: `x${i}` });
      await db.appointment.put(a).go();
      events.push(received("AppointmentBooked", a, a.createdAt, change(a)));
    }
    const results = await Promise.all(events.map((e) => applyEvent(db, e)));
    expect(results.every((r) => r.outcome === "applied")).toBe(true);
    const { totals } = await queryMetrics(db, { ...week6, to: "2026-04-06" });
    expect(totals).toMatchObject({ bookings: 12, bookedMinutes: 180, leadTime: { medianMinutes: 120, samples: 12 } });
  });

  it("retries a transaction that DynamoDB cancelled for a conflict with a concurrent writer", async () => {
    const db = await freshDb();
    await seedRegion(db);
    const a = appointment("C1", { start: "2026-04-06T07:00:00Z", minutes: 30, createdAt: "2026-04-05T07:00:00Z" });
    await db.appointment.put(a).go();
    // DynamoDB Local runs transactions one at a time; AWS cancels one of two that overlap.
    const flaky = createDb(conflicting(local.doc, 2), db.table);
    const result = await applyEvent(flaky, received("AppointmentBooked", a, a.createdAt, change(a)));
    expect(result).toEqual({ outcome: "applied", attempts: 3 });
    expect((await queryMetrics(db, week6)).totals.bookings).toBe(1);
    await expect(recordDelivery(createDb(conflicting(local.doc, 99), db.table), { clinicId: "c1", day: "2026-04-06", channel: "sms", outcome: "failed", messageId: "m" })).rejects.toThrow(/kept conflicting/);
  });

  it("counts on the appointment's local date in its clinic's time zone", async () => {
    const db = await freshDb();
    await seedRegion(db);
    // 22:30 UTC on Monday is 00:30 on Tuesday in Berlin.
    const late = appointment("L1", { start: "2026-04-06T22:30:00Z", minutes: 30, createdAt: "2026-04-01T00:00:00Z" });
    await db.appointment.put(late).go();
    await applyEvent(db, received("AppointmentBooked", late, late.createdAt, change(late)));
    const report = await queryMetrics(db, { ...week6, to: "2026-04-07" });
    expect(report.days.map((d) => d.bookings)).toEqual([0, 1]);
  });

  it("sums all clinics of the region when no clinic is given, counting each doctor's time once", async () => {
    const db = await freshDb();
    await seedRegion(db);
    for (const e of await seedWeek(db)) await applyEvent(db, e);
    const soho = appointment("S1", { clinicId: "c2", doctorId: "d4", start: "2026-04-06T08:00:00Z", minutes: 60, createdAt: "2026-04-06T06:00:00Z" });
    await db.appointment.put(soho).go();
    await applyEvent(db, received("AppointmentBooked", soho, soho.createdAt, change(soho)));

    const c2 = await queryMetrics(db, { ...week6, clinicId: "c2" });
    // d2 Tue 4 h (listed at c2 too) + d4 Mon 1 h
    expect(c2.totals).toMatchObject({ bookings: 1, bookedMinutes: 60, availableMinutes: 300, utilisationPercent: 20 });
    const region = await queryMetrics(db, { regionId: REGION, from: week6.from, to: week6.to });
    expect(region.clinicId).toBeNull();
    // d1 1380 + d2 240 (once) + d4 60; booked 135 + 60
    expect(region.totals).toMatchObject({ bookings: 6, bookedMinutes: 195, availableMinutes: 1680, utilisationPercent: 11.6 });
    // 120, 360, 1440, 2880, 7020, 10080: an even count → (1440 + 2880) / 2
    expect(region.totals.leadTime).toEqual({ medianMinutes: 2160, samples: 6 });
  });

  it("reads exactly the days asked for: both ends included, nothing outside", async () => {
    const db = await freshDb();
    await seedRegion(db);
    for (const e of await seedWeek(db)) await applyEvent(db, e);
    const tuesday = await queryMetrics(db, { ...week6, from: "2026-04-07", to: "2026-04-07" });
    expect(tuesday.days).toHaveLength(1);
    expect(tuesday.totals).toMatchObject({ bookings: 2, bookedMinutes: 45, availableMinutes: 660 });
    const wedThu = await queryMetrics(db, { ...week6, from: "2026-04-08", to: "2026-04-09" });
    expect(wedThu.totals).toMatchObject({ bookings: 0, bookedMinutes: 30, availableMinutes: 120, utilisationPercent: 25 });
    const before = await queryMetrics(db, { ...week6, from: "2026-03-01", to: "2026-04-05" });
    expect(before.totals).toMatchObject({ bookings: 0, bookedMinutes: 0, leadTime: { medianMinutes: null, samples: 0 } });
    const fullYear = await queryMetrics(db, { ...week6, from: "2025-04-07", to: "2026-04-07" });
    expect(fullYear.days).toHaveLength(366);
    expect(fullYear.totals.bookings).toBe(4);
  });

  it("refuses reversed or over-long ranges and unknown clinics", async () => {
    const db = await freshDb();
    await seedRegion(db);
    await expect(queryMetrics(db, { ...week6, from: "2026-04-12", to: "2026-04-06" })).rejects.toBeInstanceOf(ValidationError);
    await expect(queryMetrics(db, { ...week6, from: "2025-04-06", to: "2026-04-07" })).rejects.toThrow(/Invalid metrics range/);
    await expect(queryMetrics(db, { ...week6, clinicId: "nowhere" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("counts notification outcomes per channel once per message and outcome", async () => {
    const db = await freshDb();
    await seedRegion(db);
    const day = "2026-04-06";
    const outcomes = [
      await recordDelivery(db, { clinicId: "c1", day, channel: "email", outcome: "delivered", messageId: "m1" }),
      await recordDelivery(db, { clinicId: "c1", day, channel: "email", outcome: "delivered", messageId: "m1" }),
      await recordDelivery(db, { clinicId: "c1", day, channel: "sms", outcome: "failed", messageId: "m2" }),
      await recordDelivery(db, { clinicId: "c1", day, channel: "email", outcome: "failed", messageId: "m3" }),
      await recordDelivery(db, { clinicId: "c1", day, channel: "email", outcome: "delivered", messageId: "m3" }),
      await recordDelivery(db, { clinicId: "c1", day: "2026-04-07", channel: "push", outcome: "delivered", messageId: "m4" }),
      // Message ids are case-sensitive: another message.
      await recordDelivery(db, { clinicId: "c1", day: "2026-04-07", channel: "push", outcome: "delivered", messageId: "M4" }),
    ];
    expect(outcomes.map((o) => o.outcome)).toEqual(["applied", "duplicate", "applied", "applied", "applied", "applied", "applied"]);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => recordDelivery(db, { clinicId: "c1", day, channel: "sms", outcome: "delivered", messageId: "m5" })));
    expect(concurrent.filter((o) => o.outcome === "applied")).toHaveLength(1);
    await expect(recordDelivery(db, { clinicId: "c1", day: "6 April", channel: "email", outcome: "delivered", messageId: "m6" })).rejects.toThrow(RangeError);

    const report = await queryMetrics(db, week6);
    expect(report.totals.notifications).toEqual({ email: { delivered: 2, failed: 1 }, sms: { delivered: 1, failed: 1 }, push: { delivered: 2, failed: 0 } });
    expect(dayOf(report, "2026-04-07").notifications.push).toEqual({ delivered: 2, failed: 0 });
  });
});

// ---- the Lambda entry points ----

const context = { functionName: "test", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function apiEvent(query: Record<string, string>, groups: string[]): APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, string>> {
  return {
    version: "2.0",
    routeKey: METRICS_ROUTE,
    rawPath: "/api/admin/appointments/metrics",
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    queryStringParameters: query,
    isBase64Encoded: false,
    // What the Lambda authorizer (and the local server) hands over: a staff-pool caller.
    requestContext: { requestId: randomUUID(), authorizer: { lambda: { sub: "admin-1", groups: groups.join(" "), email: "", pool: "staff" } } },
  } as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, string>>;
}

describe("metrics handlers", () => {
  let db: Db;
  let api: (event: APIGatewayProxyEventV2WithLambdaAuthorizer<Record<string, string>>, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  let consumer: (event: BusEvent, context: Context) => Promise<void>;

  beforeAll(async () => {
    const { table, db: fresh } = await local.freshTable("metrics-handlers");
    Object.assign(process.env, {
      TABLE_NAME: table,
      CAREBOOK_REGION_ID: REGION,
      CAREBOOK_DYNAMODB_ENDPOINT: local.endpoint,
      POWERTOOLS_METRICS_DISABLED: "true",
      POWERTOOLS_LOG_LEVEL: "ERROR",
    });
    db = fresh;
    await seedRegion(db);
    // The caller's staff record: an admin of c1 (and of a clinic id that does not exist, so the
    // 404 for an unknown clinic is the clinic's, not the authorization's).
    await db.staffMember
      .put({ sub: "admin-1", regionId: REGION, name: "Admin One", email: "admin-1@test.carebook.test", roles: ["admin"], clinicIds: ["c1", "elsewhere"], active: true })
      .go();
    api = (await import("../../functions/api/admin/metrics")).handler as never;
    consumer = (await import("../../functions/events/metrics")).handler as never;
  });

  it("the bus consumer applies an event once, however often it is delivered", async () => {
    const a = appointment("H1", { start: "2026-04-06T07:00:00Z", minutes: 30, createdAt: "2026-04-05T07:00:00Z" });
    await db.appointment.put(a).go();
    const bus = busEvent(buildEvent("AppointmentBooked", a, a.createdAt, change(a)));
    const stdout = vi.spyOn(process.stdout, "write");
    await consumer(bus, context);
    await consumer({ ...bus, id: randomUUID() }, context); // published again: another bus id, the same eventId
    expect(stdout.mock.calls.filter(([line]) => String(line).includes("_aws"))).toHaveLength(0); // no EMF in tests
    stdout.mockRestore();
    const { totals } = await queryMetrics(db, week6);
    expect(totals).toMatchObject({ bookings: 1, bookedMinutes: 30 });
  });

  it("answers an admin with the report, 400 with the error shape for a bad range, 403 to others", async () => {
    const ok = await api(apiEvent({ clinicId: "c1", from: "2026-04-06", to: "2026-04-12" }, ["admin"]), context);
    expect(ok.statusCode).toBe(200);
    const body = JSON.parse(ok.body!);
    expect(body).toMatchObject({ clinicId: "c1", from: "2026-04-06", to: "2026-04-12", totals: { availableMinutes: 1620 } });
    expect(body.days).toHaveLength(7);

    const reversed = await api(apiEvent({ clinicId: "c1", from: "2026-04-12", to: "2026-04-06" }, ["admin"]), context);
    expect(reversed.statusCode).toBe(400);
    expect(JSON.parse(reversed.body!)).toMatchObject({ error: { code: "VALIDATION_FAILED", details: [{ path: "to", message: expect.stringMatching(/before/) }] } });
    const tooLong = await api(apiEvent({ from: "2025-01-01", to: "2026-04-06" }, ["admin"]), context);
    expect(tooLong.statusCode).toBe(400);
    const missing = await api(apiEvent({ clinicId: "c1" }, ["admin"]), context);
    expect(missing.statusCode).toBe(400);

    const unknown = await api(apiEvent({ clinicId: "elsewhere", from: "2026-04-06", to: "2026-04-12" }, ["admin"]), context);
    expect(unknown.statusCode).toBe(404);
    const nurse = await api(apiEvent({ clinicId: "c1", from: "2026-04-06", to: "2026-04-12" }, ["nurse"]), context);
    expect(nurse.statusCode).toBe(403);
  });
});
