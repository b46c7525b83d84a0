/**
 * The real-time protocol's pure parts (packages/core/src/realtime): what clients may send, the
 * topics of a connection, and what each domain event becomes on which topics — the messages the
 * web app reacts to, and the clinic-local dates of its slot days.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { EVENT_SOURCE, readBusEvent, toBusEntry, type ReceivedEvent } from "@carebook/core/events/bus";
import { buildEvent, eventSchemas, type EventDetail, type EventType } from "@carebook/core/events/schemas";
import { parseClientMessage } from "@carebook/core/realtime/messages";
import {
  clinicTopic,
  identityTopics,
  pushesFor,
  realtimeEventTypes,
  slotsTopic,
  userTopic,
} from "@carebook/core/realtime/topics";
import { pushConsumers } from "../../functions/events/index";

const appointment = { appointmentId: "a-1", clinicId: "london-central", regionId: "eu-west" };
const LONDON = "Europe/London";
const at = "2026-03-02T08:00:00Z";

/** An event as the fan-out receives it: built, carried as JSON on the bus, read back. */
function received<T extends EventType>(type: T, detail: EventDetail<T>, clinicId = appointment.clinicId): ReceivedEvent {
  const entry = toBusEntry(buildEvent(type, { ...appointment, clinicId }, at, detail), "bus");
  return readBusEvent({
    version: "0",
    id: randomUUID(),
    "detail-type": entry.DetailType,
    source: EVENT_SOURCE,
    account: "000000000000",
    time: at,
    region: "eu-west-1",
    resources: [],
    detail: JSON.parse(entry.Detail),
  });
}

const change = { patientId: "p-1", typeId: "t", doctorId: "d-1", version: 2 };

describe("client messages", () => {
  it("reads subscribe, unsubscribe and ping", () => {
    const topic = { topic: "slots", clinicId: "london-central", date: "2026-03-02" } as const;
    expect(parseClientMessage(JSON.stringify({ action: "subscribe", ...topic }))).toEqual({ ok: true, message: { action: "subscribe", ...topic } });
    expect(parseClientMessage(JSON.stringify({ action: "unsubscribe", ...topic, extra: 1 }))).toEqual({ ok: true, message: { action: "unsubscribe", ...topic } });
    expect(parseClientMessage('{"action":"ping"}')).toEqual({ ok: true, message: { action: "ping" } });
  });

  it("answers text that is not JSON, and unknown or missing actions, with their own codes", () => {
    expect(parseClientMessage("subscribe please")).toMatchObject({ ok: false, error: { type: "error", error: { code: "MALFORMED_JSON" } } });
    expect(parseClientMessage(undefined)).toMatchObject({ ok: false, error: { error: { code: "MALFORMED_JSON" } } });
    for (const text of ['{"action":"publish"}', '{"topic":"slots"}', "[]", "null", '"subscribe"', '{"action":"$connect"}']) {
      expect(parseClientMessage(text), text).toMatchObject({ ok: false, error: { error: { code: "UNKNOWN_ACTION" } } });
    }
  });

  it("refuses fields that do not fit, naming each", () => {
    const result = parseClientMessage(JSON.stringify({ action: "subscribe", topic: "appointments", clinicId: "", date: "2026-02-30" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error.code).toBe("VALIDATION_FAILED");
    expect((result.error.error.details as Array<{ path: string }>).map((d) => d.path).sort()).toEqual(["clinicId", "date", "topic"]);
  });
});

describe("a connection's topics", () => {
  it("is its user's, and its staff clinics' once each", () => {
    expect(identityTopics({ sub: "p-1", clinicIds: [] })).toEqual(["user#p-1"]);
    expect(identityTopics({ sub: "s-1", clinicIds: ["c1", "c2", "c1"] })).toEqual(["user#s-1", "clinic#c1", "clinic#c2"]);
    expect(slotsTopic("c1", "2026-03-02")).toBe("slots#c1#2026-03-02");
  });
});

describe("what a domain event becomes", () => {
  const context = { timeZone: LONDON };

  it("a booking: the status to its patient and clinic, the slot taken to viewers of its day", () => {
    const event = received("AppointmentBooked", { ...change, start: "2026-03-02T10:00:00Z", end: "2026-03-02T10:20:00Z" });
    expect(pushesFor(event, context)).toEqual([
      {
        topics: [userTopic("p-1"), clinicTopic("london-central")],
        message: {
          type: "appointment",
          event: "AppointmentBooked",
          appointmentId: "a-1",
          status: "booked",
          clinicId: "london-central",
          start: "2026-03-02T10:00:00Z",
          at,
        },
      },
      {
        topics: [slotsTopic("london-central", "2026-03-02")],
        message: { type: "slots", clinicId: "london-central", date: "2026-03-02", event: "AppointmentBooked", start: "2026-03-02T10:00:00Z", end: "2026-03-02T10:20:00Z" },
      },
    ]);
  });

  it("a hold: pending, and its slot taken", () => {
    const pushes = pushesFor(received("AppointmentPending", { ...change, start: "2026-03-02T10:00:00Z" }), context);
    expect(pushes.map((p) => p.message)).toEqual([
      expect.objectContaining({ type: "appointment", status: "pending" }),
      // No end in the event, none known: the day is still right.
      { type: "slots", clinicId: "london-central", date: "2026-03-02", event: "AppointmentPending", start: "2026-03-02T10:00:00Z" },
    ]);
  });

  it("a cancellation or a released hold: cancelled, and its slot freed with the end the fan-out looked up", () => {
    const event = received("AppointmentCancelled", { patientId: "p-1", start: "2026-03-02T10:00:00Z", reason: "x", version: 3, previousStatus: "pending" });
    expect(pushesFor(event, { ...context, end: "2026-03-02T10:20:00Z" }).map((p) => p.message)).toEqual([
      expect.objectContaining({ status: "cancelled", event: "AppointmentCancelled" }),
      expect.objectContaining({ type: "slots", date: "2026-03-02", start: "2026-03-02T10:00:00Z", end: "2026-03-02T10:20:00Z" }),
    ]);
  });

  it("a reschedule to another day: the old day freed and the new one taken, both told; no status", () => {
    const event = received("AppointmentRescheduled", {
      patientId: "p-1",
      from: "2026-03-02T10:00:00Z",
      fromEnd: "2026-03-02T10:20:00Z",
      start: "2026-03-04T15:00:00Z",
      end: "2026-03-04T15:30:00Z",
      doctorId: "d-2",
      version: 3,
    });
    const pushes = pushesFor(event, context);
    expect(pushes[0]!.message).not.toHaveProperty("status");
    expect(pushes[0]!.message).toMatchObject({ start: "2026-03-04T15:00:00Z" });
    expect(pushes.slice(1)).toEqual([
      { topics: [slotsTopic("london-central", "2026-03-02")], message: expect.objectContaining({ start: "2026-03-02T10:00:00Z", end: "2026-03-02T10:20:00Z" }) },
      { topics: [slotsTopic("london-central", "2026-03-04")], message: expect.objectContaining({ start: "2026-03-04T15:00:00Z", end: "2026-03-04T15:30:00Z" }) },
    ]);
  });

  it("a reschedule within a day: one message for that day, where the appointment is now", () => {
    const event = received("AppointmentRescheduled", { patientId: "p-1", from: "2026-03-02T10:00:00Z", start: "2026-03-02T14:00:00Z", end: "2026-03-02T14:20:00Z", doctorId: "d", version: 3 });
    const slots = pushesFor(event, context).filter((p) => p.message.type === "slots");
    expect(slots.map((p) => p.message)).toEqual([expect.objectContaining({ date: "2026-03-02", start: "2026-03-02T14:00:00Z" })]);
  });

  it("an older reschedule without fromEnd: the old slot's end from the appointment's length", () => {
    const event = received("AppointmentRescheduled", { patientId: "p-1", from: "2026-03-02T10:00:00Z", start: "2026-03-05T09:00:00Z", end: "2026-03-05T09:25:00Z", doctorId: "d", version: 3 });
    expect(pushesFor(event, context)[1]!.message).toMatchObject({ date: "2026-03-02", end: "2026-03-02T10:25:00Z" });
  });

  it("uses the clinic's local date, not UTC's", () => {
    // 23:30 UTC on 1 March is 00:30 on 2 March in Amsterdam; 00:30 UTC on 2 March is 1 March in New York.
    const late = received("AppointmentBooked", { ...change, start: "2026-03-01T23:30:00Z" });
    expect(pushesFor(late, { timeZone: "Europe/Amsterdam" })[1]!.message).toMatchObject({ date: "2026-03-02" });
    const early = received("AppointmentBooked", { ...change, start: "2026-03-02T00:30:00Z" });
    expect(pushesFor(early, { timeZone: "America/New_York" })[1]!.message).toMatchObject({ date: "2026-03-01" });
  });

  it("staff's work changes the status without touching slots", () => {
    const outcome = { patientId: "p-1", start: "2026-03-02T10:00:00Z", doctorId: "d-1", version: 4 };
    for (const [type, status] of [
      ["AppointmentCheckedIn", "arrived"],
      ["AppointmentFulfilled", "fulfilled"],
      ["AppointmentNoShow", "noshow"],
    ] as const) {
      const pushes = pushesFor(received(type, outcome), context);
      expect(pushes, type).toEqual([{ topics: [userTopic("p-1"), clinicTopic("london-central")], message: expect.objectContaining({ event: type, status }) }]);
    }
  });

  it("a re-assignment: no status change, but the slot's doctors changed", () => {
    const event = received("AppointmentReassigned", { patientId: "p-1", start: "2026-03-02T10:00:00Z", end: "2026-03-02T10:20:00Z", fromDoctorId: "d-1", doctorId: "d-2", version: 3, reason: "leave" });
    const messages = pushesFor(event, context).map((p) => p.message);
    expect(messages[0]).not.toHaveProperty("status");
    expect(messages[1]).toMatchObject({ type: "slots", event: "AppointmentReassigned", date: "2026-03-02" });
  });

  it("pre-screening: requested is pending; a decision carries no status (the Booked or Cancelled after it does)", () => {
    const requested = pushesFor(received("PreScreeningRequested", { patientId: "p-1", answerBy: at, start: "2026-03-02T10:00:00Z" }), context);
    expect(requested.map((p) => p.message)).toEqual([expect.objectContaining({ status: "pending" })]);
    const decided = pushesFor(received("PreScreeningDecided", { patientId: "p-1", decision: "approve", start: "2026-03-02T10:00:00Z" }), context);
    expect(decided).toEqual([{ topics: [userTopic("p-1"), clinicTopic("london-central")], message: expect.not.objectContaining({ status: expect.anything() }) }]);
  });

  it("an escalation is the clinic's business only", () => {
    const event = received("PreScreeningEscalated", { audience: ["nurse"], slaDueAt: at, decideBy: at, start: "2026-03-02T10:00:00Z" });
    expect(pushesFor(event, context)).toEqual([{ topics: [clinicTopic("london-central")], message: expect.objectContaining({ event: "PreScreeningEscalated" }) }]);
  });

  it("reminders and notices are not pushed (no state changes): the consumer's rule leaves them out", () => {
    expect(pushesFor(received("ReminderDue", { patientId: "p-1", kind: "60m", dueAt: at, recordedAt: at, start: at, version: 1, doctorName: "Dr" }), context)).toEqual([]);
    expect(pushesFor(received("EmergencyNotice", { patientId: "p-1", start: at, noticeId: "n", message: "closed" }), context)).toEqual([]);
    const types = new Set(realtimeEventTypes);
    expect(Object.keys(eventSchemas).filter((t) => !types.has(t as never)).sort()).toEqual(["EmergencyNotice", "ReminderDue"]);
    expect(pushConsumers.realtime.pattern).toEqual({ source: [EVENT_SOURCE], "detail-type": realtimeEventTypes });
  });

  it("never sends an appointment message to a slots topic, and tells a slot's day in the clinic's zone (property)", () => {
    const zones = ["Europe/London", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse("2026-01-01T00:00:00Z") / 300_000, max: Date.parse("2027-12-31T00:00:00Z") / 300_000 }),
        fc.constantFrom(...zones),
        (unit, timeZone) => {
          const start = new Date(unit * 300_000).toISOString().replace(/\.000Z$/, "Z");
          const pushes = pushesFor(received("AppointmentBooked", { ...change, start }), { timeZone });
          for (const push of pushes) {
            const slotTopics = push.topics.filter((t) => t.startsWith("slots#"));
            if (push.message.type === "appointment") expect(slotTopics).toEqual([]);
            if (push.message.type === "slots") {
              expect(push.message.date).toBe(DateTime.fromISO(start, { zone: timeZone }).toISODate());
              expect(push.topics).toEqual([slotsTopic("london-central", push.message.date)]);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
