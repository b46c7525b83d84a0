/**
 * Support helps a patient who calls: finds them, reads their appointments (every read audited,
 * no pre-screening answers), cancels on their behalf with a reason.
 */
import { describe, expect, it } from "vitest";
import { api, book, newPatient, signIn, slotAt, slots, testDb, weekdayAhead } from "./harness";

describe("support", () => {
  it("finds a patient by e-mail, reads their appointments (audited), and cancels one for them with a reason", async () => {
    const support = await signIn("support@demo.carebook.test");
    const patient = await newPatient("Called Support");
    const day = weekdayAhead(15, 2);
    const created = await book(patient.token, slotAt(await slots(patient.token, { from: day, to: day }), day, "10:00").start);
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const found = await api("GET", `/api/support/patients?email=${encodeURIComponent(patient.email.toUpperCase())}`, { token: support });
    expect(found.status).toBe(200);
    expect(found.body.patients).toEqual([expect.objectContaining({ id: patient.sub, name: "Called Support" })]);

    const list = await api("GET", `/api/support/patients/${patient.sub}/appointments`, { token: support });
    expect(list.status).toBe(200);
    expect(list.body.appointments.map((a: { id: string }) => a.id)).toEqual([id]);
    expect(list.body.appointments[0].prescreening).toBeUndefined();
    const one = await api("GET", `/api/appointments/${id}`, { token: support });
    expect(one.status).toBe(200);

    // Never the pre-screening, never the staff side.
    expect((await api("GET", `/api/appointments/${id}/prescreening`, { token: support })).status).toBe(403);
    expect((await api("GET", `/api/staff/prescreening/${id}`, { token: support })).status).toBe(403);
    expect((await api("POST", `/api/appointments/${id}/reschedule`, { token: support, body: { start: created.body.start } })).status).toBe(403);

    // A cancellation for the patient needs a reason; it is recorded as support's.
    const noReason = await api("POST", `/api/appointments/${id}/cancel`, { token: support, body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.code).toBe("REASON_REQUIRED");
    const cancelled = await api("POST", `/api/appointments/${id}/cancel`, { token: support, body: { reason: "Patient called: travelling" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", cancelReason: "Patient called: travelling" });

    const db = testDb();
    const onAppointment = (await db.auditEntry.query.bySubject({ subjectType: "appointment", subjectId: id }).go()).data;
    expect(onAppointment.filter((e) => e.actorRole === "support").map((e) => e.action)).toEqual(["appointment.viewed", "appointment.cancelled"]);
    const onPatient = (await db.auditEntry.query.bySubject({ subjectType: "patient", subjectId: patient.sub }).go()).data;
    expect(onPatient).toEqual([expect.objectContaining({ action: "patient.appointments-viewed", actorId: "demo-support", details: { appointmentIds: [id] } })]);
    const searches = (await db.auditEntry.query.bySubject({ subjectType: "patient-search", subjectId: patient.email }).go()).data;
    expect(searches).toEqual([expect.objectContaining({ action: "patient.searched", actorId: "demo-support" })]);

    expect((await api("GET", `/api/support/patients/not-a-patient/appointments`, { token: support })).status).toBe(404);
    expect((await api("GET", `/api/support/patients?email=nope`, { token: support })).status).toBe(400);
  });
});
