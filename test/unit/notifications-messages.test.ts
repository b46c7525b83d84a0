/**
 * From an event to the messages it becomes (packages/core/src/notifications/messages.ts), the
 * parts that need no table: the plan (kind, urgency, calendar update), one message per event
 * over the patient's channels, and the context the templates are rendered from. The store and
 * dispatcher are tested on DynamoDB Local in test/local/notifications.test.ts.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Appointment, Clinic, Doctor } from "@carebook/core/entities/index";
import { EVENT_SOURCE, readBusEvent, toBusEntry, type ReceivedEvent } from "@carebook/core/events/bus";
import { matches } from "@carebook/core/events/pattern";
import { buildEvent, type EventDetail, type EventType } from "@carebook/core/events/schemas";
import { buildContext, messageVariants, planFor } from "@carebook/core/notifications/messages";
import { languages, render } from "@carebook/core/notifications/templates";
import { eventConsumers } from "../../functions/events/index";

const appointment: Appointment = {
  appointmentId: "a1",
  regionId: "r1",
  clinicId: "c1",
  typeId: "t1",
  patientId: "p1",
  doctorId: "d2",
  doctorName: "Dr Jane Doe",
  status: "booked",
  start: "2026-03-05T09:00:00Z",
  end: "2026-03-05T09:20:00Z",
  blockStart: "2026-03-05T09:00:00Z",
  blockEnd: "2026-03-05T09:20:00Z",
  timeZone: "Europe/London",
  assignment: { rule: "least-loaded", explanation: "test", candidates: 1 },
  version: 2,
  history: [],
  createdAt: "2026-03-01T00:00:00Z",
  updatedAt: "2026-03-01T00:00:00Z",
};
const clinic = {
  clinicId: "c1",
  regionId: "r1",
  name: "Central",
  timeZone: "Europe/London",
  address: { line1: "1 High St", city: "London", postcode: "N1", country: "GB" },
  phone: "+44 20 7946 0000",
  active: true,
} as Clinic;
const type = { typeId: "t1", regionId: "r1", name: "General consultation", durationMinutes: 20 } as never;

/** An event as the consumer receives it: built, put on the bus, read back. */
function received<T extends EventType>(kind: T, detail: EventDetail<T>): ReceivedEvent {
  const item = buildEvent(kind, appointment, "2026-03-02T10:00:00Z", detail);
  const entry = toBusEntry(item, "bus");
  return readBusEvent({ version: "0", id: randomUUID(), "detail-type": entry.DetailType, source: EVENT_SOURCE, account: "1", time: "", region: "x", resources: [], detail: JSON.parse(entry.Detail) });
}

const reassigned = received("AppointmentReassigned", {
  patientId: "p1",
  start: appointment.start,
  end: appointment.end,
  fromDoctorId: "d1",
  doctorId: "d2",
  version: 2,
  reason: "leave",
});
const offers = [
  { start: "2026-03-05T10:00:00Z", end: "2026-03-05T10:20:00Z" },
  { start: "2026-03-06T08:40:00Z", end: "2026-03-06T09:00:00Z" },
];
const needsReschedule = received("AppointmentNeedsReschedule", { patientId: "p1", start: appointment.start, doctorId: "d1", version: 1, reason: "leave", offers });

describe("what a doctor's change tells the patient", () => {
  it("plans a 'reassigned' message with an updated calendar entry, and a 'reschedule-needed' one without; both at once", () => {
    expect(planFor(reassigned)).toEqual({ kind: "reassigned", urgent: true, ics: "REQUEST" });
    expect(planFor(needsReschedule)).toEqual({ kind: "reschedule-needed", urgent: true });
  });

  it("makes exactly one message per event, trying the patient's channels in order (as for other kinds)", () => {
    for (const event of [reassigned, needsReschedule]) {
      const plan = planFor(event)!;
      expect(messageVariants(event.eventId, plan, ["sms", "push", "email"])).toEqual([{ messageId: `${event.eventId}:${plan.kind}`, channels: ["sms", "push", "email"] }]);
      expect(messageVariants(event.eventId, plan, ["email"])).toEqual([{ messageId: `${event.eventId}:${plan.kind}`, channels: ["email"] }]);
      // Re-delivered: the same id, so the store finds the message instead of adding one.
      expect(messageVariants(event.eventId, plan, ["email"])[0]!.messageId).toBe(messageVariants(event.eventId, planFor(event)!, ["email"])[0]!.messageId);
    }
    // Only emergencies go on every channel.
    expect(messageVariants("e1", { kind: "emergency", urgent: true, everyChannel: true }, ["sms", "email"]).map((v) => v.messageId)).toEqual(["e1:emergency:sms", "e1:emergency:email"]);
  });

  it("reaches the notifications consumer (its bus rule's pattern)", () => {
    const { pattern } = eventConsumers.notifications;
    for (const event of [reassigned, needsReschedule]) {
      expect(matches(pattern, { source: EVENT_SOURCE, "detail-type": event.type, detail: event }), event.type).toBe(true);
    }
  });

  it("names the new doctor, keeps the time, and leaves the private reason out", () => {
    const ctx = buildContext(reassigned, appointment, { name: "Pat" }, { clinic, type });
    expect(ctx).toMatchObject({ doctorName: "Dr Jane Doe", start: "2026-03-05T09:00:00Z", end: "2026-03-05T09:20:00Z", clinicName: "Central", typeName: "General consultation" });
    expect(ctx).not.toHaveProperty("reason");
    expect(JSON.stringify(ctx)).not.toContain("leave");
    // The appointment has moved on to yet another doctor since: the event's doctor, read by id.
    const later = { ...appointment, doctorId: "d3", doctorName: "Dr Later" };
    const doctor = { doctorId: "d2", name: "Dr Jane Doe" } as Doctor;
    expect(buildContext(reassigned, later, { name: "Pat" }, { clinic, type, doctor }).doctorName).toBe("Dr Jane Doe");
    for (const language of languages) expect(render("reassigned", language, ctx).text).toContain("Dr Jane Doe");
  });

  it("carries the offered times (or none) and the clinic's phone for 'reschedule-needed'", () => {
    const ctx = buildContext(needsReschedule, appointment, { name: "Pat" }, { clinic, type });
    expect(ctx.offers).toEqual(offers);
    expect(ctx).not.toHaveProperty("reason");
    expect(ctx.clinicPhone).toBe("+44 20 7946 0000");
    const en = render("reschedule-needed", "en", ctx);
    expect(en.text).toContain("• Thursday, 5 March 2026, 10:00–10:20 GMT\n• Friday, 6 March 2026, 08:40–09:00 GMT");
    expect(en.text).toContain("Clinic phone: +44 20 7946 0000");
    const none = received("AppointmentNeedsReschedule", { patientId: "p1", start: appointment.start, doctorId: "d1", version: 1, reason: "deactivated", offers: [] });
    const noneCtx = buildContext(none, appointment, { name: "Pat" }, { clinic, type });
    expect(noneCtx.offers).toEqual([]);
    expect(render("reschedule-needed", "de", noneCtx).text).toContain("In der Nähe ist leider keine Zeit frei");
  });

  it("still tells a cancellation's reason (only the doctor's reasons are private)", () => {
    const cancelled = received("AppointmentCancelled", { patientId: "p1", start: appointment.start, reason: "hold-expired", version: 3 });
    expect(buildContext(cancelled, appointment, { name: "Pat" }, { clinic, type }).reason).toBe("hold-expired");
  });
});
