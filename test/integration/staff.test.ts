/**
 * The staff side of a visit: the doctor's day, check-in, completion, no-show — each a
 * conditional write on the appointment's version with its audit entry and domain event.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, newPatient, signIn, testDb } from "./harness";
import { localDate, seedAppointment } from "./fixtures";

let doctor: string;
let otherDoctor: string;
let nurse: string;
let admin: string;

beforeAll(async () => {
  [doctor, otherDoctor, nurse, admin] = await Promise.all([
    signIn("doctor@demo.carebook.test"),
    signIn("doctor.amsterdam@demo.carebook.test"),
    signIn("nurse@demo.carebook.test"),
    signIn("admin@demo.carebook.test"),
  ]);
});

const visit = (token: string, id: string, action: string, body: unknown = {}) =>
  api("POST", `/api/staff/appointments/${id}/${action}`, { token, body });

describe("a doctor's day", () => {
  it("shows the doctor's schedule with today's appointment and the patient's name; check-in then complete", async () => {
    const patient = await newPatient("Grace Hopper");
    const a = await seedAppointment({ patientId: patient.sub });
    const today = localDate(Date.parse(a.start));

    const schedule = await api("GET", `/api/staff/schedule?from=${today}`, { token: doctor });
    expect(schedule.status).toBe(200);
    expect(schedule.body.doctor.id).toBe("amelia-hughes");
    expect(schedule.body.timeZone).toBe("Europe/London");
    const day = schedule.body.days[0];
    expect(day.date).toBe(today);
    const listed = day.appointments.find((x: { id: string }) => x.id === a.appointmentId);
    expect(listed).toMatchObject({ status: "booked", patient: { id: patient.sub, name: "Grace Hopper" } });
    expect(listed.history).toBeUndefined();

    const checkedIn = await visit(doctor, a.appointmentId, "check-in", { version: 1 });
    expect(checkedIn.status).toBe(200);
    expect(checkedIn.body).toMatchObject({ status: "arrived", version: 2 });

    // A stale version is refused; nothing changes.
    const stale = await visit(doctor, a.appointmentId, "complete", { version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("VERSION_CONFLICT");

    const done = await visit(doctor, a.appointmentId, "complete", { version: 2, notesRef: "EHR-2026-0042" });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "fulfilled", version: 3, notesRef: "EHR-2026-0042", patient: { name: "Grace Hopper" } });

    const again = await visit(doctor, a.appointmentId, "complete");
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("INVALID_STATE");

    const db = testDb();
    const stored = (await db.appointment.get({ appointmentId: a.appointmentId }).go()).data!;
    expect(stored.status).toBe("fulfilled");
    // Kept for the region's retention after its end, then archived by TTL.
    expect(stored.expiresAt).toBe(Math.floor(Date.parse(a.end) / 1000) + 90 * 24 * 3600);
    const events = (await db.domainEvent.query.byAppointment({ appointmentId: a.appointmentId }).go()).data.map((e) => e.type);
    expect(events).toEqual(["AppointmentCheckedIn", "AppointmentFulfilled"]);
    const audit = (await db.auditEntry.query.bySubject({ subjectType: "appointment", subjectId: a.appointmentId }).go()).data;
    expect(audit.map((e) => [e.action, e.actorId, e.actorRole])).toEqual([
      ["appointment.arrived", "demo-doctor", "doctor"],
      ["appointment.fulfilled", "demo-doctor", "doctor"],
    ]);

    // The patient sees the outcome.
    const mine = await api("GET", `/api/appointments/${a.appointmentId}`, { token: patient.token });
    expect(mine.body.status).toBe("fulfilled");
  });

  it("marks a no-show once the appointment started, and not before", async () => {
    const patient = await newPatient();
    const started = await seedAppointment({ patientId: patient.sub });
    const later = await seedAppointment({ patientId: patient.sub, start: Date.parse(started.start) + 3 * 3600_000 });

    const early = await visit(nurse, later.appointmentId, "no-show");
    expect(early.status).toBe(422);
    expect(early.body.error.code).toBe("TOO_EARLY");
    const earlyCheckIn = await visit(nurse, later.appointmentId, "check-in");
    expect(earlyCheckIn.status).toBe(422);

    const noShow = await visit(nurse, started.appointmentId, "no-show");
    expect(noShow.status).toBe(200);
    expect(noShow.body.status).toBe("noshow");
    const events = (await testDb().domainEvent.query.byAppointment({ appointmentId: started.appointmentId }).go()).data;
    expect(events.map((e) => e.type)).toEqual(["AppointmentNoShow"]);

    // A notes reference belongs to a completion only.
    const notes = await visit(nurse, later.appointmentId, "check-in", { notesRef: "x" });
    expect(notes.status).toBe(422);
  });

  it("keeps other clinics' staff out: 404 for the appointment, 403 for the clinic", async () => {
    const patient = await newPatient();
    const a = await seedAppointment({ patientId: patient.sub });
    expect((await visit(otherDoctor, a.appointmentId, "check-in")).status).toBe(404);
    const today = localDate(Date.parse(a.start));
    const theirs = await api("GET", `/api/staff/appointments?from=${today}`, { token: otherDoctor });
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.map((x: { id: string }) => x.id)).not.toContain(a.appointmentId);
    const nurseOther = await api("GET", `/api/staff/appointments?from=${today}&clinicId=amsterdam-zuid`, { token: nurse });
    expect(nurseOther.status).toBe(403);
    expect(nurseOther.body.error.code).toBe("NOT_YOUR_CLINIC");
    const foreignSchedule = await api("GET", `/api/staff/schedule?from=${today}&doctorId=pieter-de-vries`, { token: nurse });
    expect(foreignSchedule.status).toBe(404);
    // Nothing changed.
    expect((await testDb().appointment.get({ appointmentId: a.appointmentId }).go()).data!.status).toBe("booked");
  });

  it("lists a clinic's appointments for nurses and admins, filtered by status", async () => {
    const patient = await newPatient();
    const a = await seedAppointment({ patientId: patient.sub });
    const b = await seedAppointment({ patientId: patient.sub, start: Date.parse(a.start) + 3600_000, doctorId: "rajesh-patel", doctorName: "Dr Rajesh Patel" });
    const today = localDate(Date.parse(a.start));
    const tomorrowish = localDate(Date.parse(b.start));
    for (const token of [nurse, admin]) {
      const res = await api("GET", `/api/staff/appointments?from=${today}&to=${tomorrowish}&clinicId=london-central&status=booked`, { token });
      expect(res.status).toBe(200);
      const ids = res.body.items.map((x: { id: string }) => x.id);
      expect(ids).toEqual(expect.arrayContaining([a.appointmentId, b.appointmentId]));
      expect(res.body.items.every((x: { status: string; clinicId: string }) => x.status === "booked" && x.clinicId === "london-central")).toBe(true);
    }
    const doctorsOwn = await api("GET", `/api/staff/appointments?from=${today}&to=${tomorrowish}`, { token: doctor });
    const ownIds = doctorsOwn.body.items.map((x: { id: string }) => x.id);
    expect(ownIds).toContain(a.appointmentId);
    expect(ownIds).not.toContain(b.appointmentId);

    const tooLong = await api("GET", `/api/staff/appointments?from=2026-01-01&to=2026-01-09`, { token: nurse });
    expect(tooLong.status).toBe(400);
    const noDoctor = await api("GET", `/api/staff/schedule?from=${today}`, { token: nurse });
    expect(noDoctor.status).toBe(400);
  });
});
