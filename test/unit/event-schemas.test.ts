import { describe, expect, it } from "vitest";
import { buildEvent, eventSchemas, parseEvent } from "@carebook/core/events/schemas";

const appointment = { appointmentId: "a-1", clinicId: "london-central", regionId: "eu-west" };
const booked = { patientId: "p-1", start: "2027-03-29T09:00:00Z", typeId: "vaccination", doctorId: "amelia-hughes", version: 5 };

describe("domain events", () => {
  it("builds a versioned outbox item whose detail fits its type's schema, and reads it back", () => {
    const event = buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00.123Z", booked);
    expect(event).toMatchObject({ type: "AppointmentBooked", schemaVersion: 1, appointmentId: "a-1", clinicId: "london-central", detail: booked });
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseEvent(event)).toEqual({ type: "AppointmentBooked", detail: booked });
    expect(buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00Z", booked, "fixed-id").eventId).toBe("fixed-id");
  });

  it("refuses a detail that does not fit: missing, extra, or wrongly typed fields, and bad instants", () => {
    const { version: _v, ...withoutVersion } = booked;
    expect(() => buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00Z", withoutVersion as never)).toThrow();
    expect(() => buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00Z", { ...booked, answers: {} } as never)).toThrow();
    expect(() => buildEvent("PreScreeningDecided", appointment, "2026-11-25T18:00:00Z", { patientId: "p", decision: "maybe", start: booked.start } as never)).toThrow();
    expect(() => buildEvent("AppointmentBooked", appointment, "yesterday", booked)).toThrow();
    expect(() => buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00Z", { ...booked, start: "2027-03-29 09:00" })).toThrow();
  });

  it("refuses to read an unknown type or another schema version", () => {
    const event = buildEvent("AppointmentBooked", appointment, "2026-11-25T18:00:00Z", booked);
    expect(() => parseEvent({ ...event, type: "AppointmentTeleported" })).toThrow(/unknown event type/);
    expect(() => parseEvent({ ...event, schemaVersion: 2 })).toThrow(/v2/);
  });

  it("declares the events the workflows and the clinic produce", () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([
      "AppointmentBooked",
      "AppointmentCancelled",
      "AppointmentCheckedIn",
      "AppointmentFulfilled",
      "AppointmentNeedsReschedule",
      "AppointmentNoShow",
      "AppointmentPending",
      "AppointmentReassigned",
      "AppointmentRescheduled",
      "EmergencyNotice",
      "PreScreeningDecided",
      "PreScreeningEscalated",
      "PreScreeningRequested",
      "ReminderDue",
    ]);
  });
});
