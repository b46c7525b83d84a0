import { describe, expect, it } from "vitest";
import type { ReceivedEvent } from "../../packages/core/src/events/bus";
import { buildEvent, type EventDetail, type EventType } from "../../packages/core/src/events/schemas";
import { countedEventTypes, deltasFor, type AppointmentFacts } from "../../packages/core/src/metrics/aggregates";

const appointment = { appointmentId: "a1", clinicId: "c1", regionId: "r1" };
const event = <T extends EventType>(type: T, detail: EventDetail<T>) =>
  buildEvent(type, appointment, "2026-04-01T10:00:00Z", detail) as unknown as ReceivedEvent;
const facts = (over: Partial<AppointmentFacts> = {}): AppointmentFacts => ({
  timeZone: "Europe/Berlin",
  requestedAt: "2026-04-01T10:00:30Z",
  storedMinutes: 20,
  ...over,
});
const days = (type: Parameters<typeof event>[0], detail: never, f = facts()) => {
  const { deltas } = deltasFor(event(type, detail), f);
  return Object.fromEntries([...deltas].map(([day, d]) => [day, d]));
};
const base = { patientId: "p1", typeId: "t1", doctorId: "d1", version: 1 };

describe("what one event counts", () => {
  it("counts a booking on the clinic's local date, with its minutes and its lead time in whole minutes", () => {
    // 22:30Z on 6 April is 00:30 on 7 April in Berlin (CEST).
    const detail = { ...base, start: "2026-04-06T22:30:00Z", end: "2026-04-06T23:15:00Z" };
    expect(days("AppointmentBooked", detail as never)).toEqual({
      "2026-04-07": { counters: { bookings: 1, bookedMinutes: 45 }, leadTimes: [7949] }, // 5 days 12 h 29 min 30 s → 7949 whole minutes
    });
  });

  it("falls back to the stored duration when a booking event does not carry its end", () => {
    expect(days("AppointmentBooked", { ...base, start: "2026-04-06T08:00:00Z" } as never)["2026-04-06"]?.counters).toEqual({ bookings: 1, bookedMinutes: 20 });
  });

  it("moves the minutes of a reschedule from the old day to the new one, and nets them within one day", () => {
    const across = { patientId: "p1", doctorId: "d1", version: 2, from: "2026-04-07T09:00:00Z", fromEnd: "2026-04-07T09:30:00Z", start: "2026-04-09T07:30:00Z", end: "2026-04-09T08:15:00Z" };
    expect(days("AppointmentRescheduled", across as never)).toEqual({
      "2026-04-07": { counters: { reschedules: 1, bookedMinutes: -30 }, leadTimes: [] },
      "2026-04-09": { counters: { bookedMinutes: 45 }, leadTimes: [] },
    });
    const within = { ...across, start: "2026-04-07T12:00:00Z", end: "2026-04-07T12:30:00Z" };
    expect(days("AppointmentRescheduled", within as never)).toEqual({ "2026-04-07": { counters: { reschedules: 1 }, leadTimes: [] } });
  });

  it("gives back booked minutes only for a cancelled booking; a released hold counts as such", () => {
    const cancel = { patientId: "p1", start: "2026-04-06T08:00:00Z", reason: "cancelled", version: 2 };
    expect(days("AppointmentCancelled", { ...cancel, previousStatus: "booked" } as never)["2026-04-06"]?.counters).toEqual({ cancellations: 1, bookedMinutes: -20 });
    expect(days("AppointmentCancelled", { ...cancel, previousStatus: "pending", reason: "prescreening-rejected" } as never)["2026-04-06"]?.counters).toEqual({ holdsReleased: 1 });
  });

  it("reads the status before a cancellation from the final item when the event predates previousStatus", () => {
    const cancel = { patientId: "p1", start: "2026-04-06T08:00:00Z", reason: "hold-expired", version: 2 };
    const released = facts({ prescreening: { state: "released", answerBy: "2026-04-02T10:00:00Z", decideBy: "2026-04-06T07:00:00Z", releasedReason: "hold-expired" } });
    expect(days("AppointmentCancelled", cancel as never, released)["2026-04-06"]?.counters).toEqual({ holdsReleased: 1 });
    const approvedThenCancelled = facts({ prescreening: { state: "approved", answerBy: "2026-04-02T10:00:00Z", decideBy: "2026-04-06T07:00:00Z" } });
    expect(days("AppointmentCancelled", cancel as never, approvedThenCancelled)["2026-04-06"]?.counters).toEqual({ cancellations: 1, bookedMinutes: -20 });
  });

  it("counts a decision in time as an SLA period met, a late one as a decision only", () => {
    const decided = { patientId: "p1", start: "2026-04-06T08:00:00Z" };
    expect(days("PreScreeningDecided", { ...decided, decision: "approve", slaMet: true } as never)["2026-04-06"]?.counters).toEqual({ screeningDecisions: 1, screeningSlaMet: 1 });
    expect(days("PreScreeningDecided", { ...decided, decision: "reject", slaMet: false } as never)["2026-04-06"]?.counters).toEqual({ screeningDecisions: 1 });
  });

  it("derives slaMet of an older approve/reject from the stored state, never of a call-patient", () => {
    const decided = { patientId: "p1", start: "2026-04-06T08:00:00Z" };
    const state = (decidedAt: string) =>
      facts({ prescreening: { state: "approved", decision: "approve", answerBy: "2026-04-02T10:00:00Z", decideBy: "2026-04-06T07:00:00Z", slaDueAt: "2026-04-03T12:00:00Z", decidedAt } });
    expect(days("PreScreeningDecided", { ...decided, decision: "approve" } as never, state("2026-04-03T11:59:00Z"))["2026-04-06"]?.counters).toEqual({ screeningDecisions: 1, screeningSlaMet: 1 });
    expect(days("PreScreeningDecided", { ...decided, decision: "approve" } as never, state("2026-04-03T12:01:00Z"))["2026-04-06"]?.counters).toEqual({ screeningDecisions: 1 });
    expect(days("PreScreeningDecided", { ...decided, decision: "call-patient" } as never, state("2026-04-03T11:00:00Z"))["2026-04-06"]?.counters).toEqual({ screeningDecisions: 1 });
  });

  it("counts an escalation once per SLA period (a second identity besides the event id)", () => {
    const detail = { audience: ["nurse", "admin"], slaDueAt: "2026-04-03T12:00:00Z", decideBy: "2026-04-06T07:00:00Z", start: "2026-04-06T08:00:00Z" };
    const { deltas, onceKeys } = deltasFor(event("PreScreeningEscalated", detail as never), facts());
    expect(deltas.get("2026-04-06")?.counters).toEqual({ screeningEscalations: 1 });
    expect(onceKeys).toEqual(["escalation#a1#2026-04-03T12:00:00Z"]);
  });

  it("counts the outcomes of a visit and leaves its booked minutes", () => {
    const outcome = { patientId: "p1", start: "2026-04-06T08:00:00Z", doctorId: "d1", version: 3 };
    expect(days("AppointmentFulfilled", outcome as never)["2026-04-06"]?.counters).toEqual({ fulfilled: 1 });
    expect(days("AppointmentNoShow", outcome as never)["2026-04-06"]?.counters).toEqual({ noShows: 1 });
  });

  it("ignores the types no aggregate needs", () => {
    expect(countedEventTypes).not.toContain("ReminderDue");
    expect(countedEventTypes).not.toContain("PreScreeningRequested");
  });
});
