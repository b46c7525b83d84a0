/**
 * Hold mechanics, driven through core against the runtime's DynamoDB Local with explicit
 * `now`s (no workflow involved): what a hold blocks, when it stops blocking, and that
 * nothing is left stuck when the workflow never starts.
 */
import { describe, expect, it } from "vitest";
import { bookAppointment, searchSlots } from "@carebook/core/appointment/booking";
import { releaseHold, sweepExpiredHolds } from "@carebook/core/appointment/hold";
import { doctorResource, patientResource } from "@carebook/core/appointment/claims";
import { INITIAL_HOLD_MS } from "@carebook/core/prescreening/config";
import { LONDON, newPatient, testDb, weekdayAhead } from "./harness";

const day = weekdayAhead(7, 2); // this file's own Tuesday
const VACCINATION = "vaccination";
const MINUTE = 60_000;

async function freeDoctorsAt(start: string, now: number) {
  const { slots } = await searchSlots(testDb(), { regionId: "eu-west", typeId: VACCINATION, clinicId: LONDON, fromDate: day, toDate: day, now });
  return slots.find((s) => s.start === Date.parse(start))?.doctorIds.length ?? 0;
}

async function claimsOf(appointmentId: string) {
  const { data } = await testDb().claim.scan.where((attr, op) => op.eq(attr.appointmentId, appointmentId)).go({ pages: "all" });
  return data;
}

async function hold(patientId: string, start: string, now: number) {
  return bookAppointment(testDb(), {
    regionId: "eu-west",
    patientId,
    actor: { id: patientId, role: "patient" },
    typeId: VACCINATION,
    clinicId: LONDON,
    start: Date.parse(start),
    now,
  });
}

describe("holds", () => {
  it("a fresh hold is short, blocks its time, and lapses on its own when no workflow ever starts (crash after the write)", async () => {
    const patient = await newPatient("Crash Case");
    const start = `${day}T10:00:00Z`;
    const now = Date.now();
    const before = await freeDoctorsAt(start, now);
    expect(before).toBeGreaterThan(0);

    // The booking transaction commits; then "the process dies": StartExecution never happens.
    const held = await hold(patient.sub, start, now);
    expect(held.status).toBe("pending");
    const until = Math.ceil((now + INITIAL_HOLD_MS) / 1000) * 1000;
    expect(Date.parse(held.holdExpiresAt!)).toBe(until);
    expect(held.prescreening).toMatchObject({ state: "awaiting-answers" });
    const claims = await claimsOf(held.appointmentId);
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.every((c) => c.holdUntil === until)).toBe(true);
    expect(await freeDoctorsAt(start, now)).toBe(before - 1);

    // Until it lapses the sweeper leaves it alone…
    expect((await sweepExpiredHolds(testDb(), { regionId: "eu-west", now: now + INITIAL_HOLD_MS - MINUTE })).released).toBe(0);
    // …after, slot search already shows the time free, and the sweeper releases the hold.
    const later = now + INITIAL_HOLD_MS + MINUTE;
    expect(await freeDoctorsAt(start, later)).toBe(before);
    const swept = await sweepExpiredHolds(testDb(), { regionId: "eu-west", now: later });
    expect(swept.released).toBeGreaterThanOrEqual(1);

    const { data: after } = await testDb().appointment.get({ appointmentId: held.appointmentId }).go();
    expect(after).toMatchObject({ status: "cancelled", cancelReason: "hold-expired" });
    expect(after!.holdExpiresAt).toBeUndefined();
    expect(await claimsOf(held.appointmentId)).toEqual([]);
    const { data: holds } = await testDb().hold.query.byRegion({ regionId: "eu-west" }).go({ pages: "all" });
    expect(holds.some((h) => h.appointmentId === held.appointmentId)).toBe(false);
    const { data: events } = await testDb().domainEvent.query.byAppointment({ appointmentId: held.appointmentId }).go();
    expect(events.map((e) => e.type)).toEqual(["AppointmentPending", "AppointmentCancelled"]);
    expect(events[1]!.detail).toMatchObject({ reason: "hold-expired" });
  });

  it("a lapsed hold's claims can be taken over, and releasing the old hold later leaves the new booking's claims alone", async () => {
    const patient = await newPatient("Takeover Case");
    const start = `${day}T11:00:00Z`;
    const now = Date.now();
    const first = await hold(patient.sub, start, now);

    // While the hold lasts, the same patient cannot hold the same time twice.
    await expect(hold(patient.sub, start, now + MINUTE)).rejects.toMatchObject({ code: "PATIENT_OVERLAP" });

    // After it lapses (not yet swept), a new hold at the same time takes its claims over.
    const later = now + INITIAL_HOLD_MS + MINUTE;
    const second = await hold(patient.sub, start, later);
    const taken = await claimsOf(second.appointmentId);
    expect(taken.some((c) => c.resource === patientResource(patient.sub))).toBe(true);

    // The old hold is released afterwards: it deletes only claims still its own.
    const released = await releaseHold(testDb(), { appointmentId: first.appointmentId, reason: "hold-expired", actor: { id: "t", role: "system" }, now: later });
    expect(released?.appointment.status).toBe("cancelled");
    const still = await claimsOf(second.appointmentId);
    expect(still.map((c) => `${c.resource}|${c.unit}`).sort()).toEqual(taken.map((c) => `${c.resource}|${c.unit}`).sort());
    expect(still.filter((c) => c.resource === doctorResource(second.doctorId)).length).toBeGreaterThan(0);
    expect(await claimsOf(first.appointmentId)).toEqual([]);
  });

  it("a confirmed booking's claims are never taken over, however late", async () => {
    const patient = await newPatient("Booked Case");
    const other = await newPatient("Other Case");
    const start = `${day}T12:00:00Z`;
    const now = Date.now();
    const booked = await bookAppointment(testDb(), {
      regionId: "eu-west",
      patientId: patient.sub,
      actor: { id: patient.sub, role: "patient" },
      typeId: "general-consultation",
      clinicId: LONDON,
      start: Date.parse(start),
      now,
    });
    expect(booked.status).toBe("booked");
    expect((await claimsOf(booked.appointmentId)).every((c) => c.holdUntil === undefined)).toBe(true);
    // Long after any hold would have lapsed, the doctor is still taken: another patient's hold
    // at the same time gets another doctor.
    const later = now + 3 * 24 * 60 * MINUTE;
    const attempt = await hold(other.sub, start, later);
    expect(attempt.doctorId).not.toBe(booked.doctorId);
  });
});
