import { DateTime } from "luxon";
import { beforeAll, describe, expect, it } from "vitest";
import { api, book, GENERAL, LONDON, newPatient, signIn, slotAt, slots, testDb, weekdayAhead } from "./harness";

const day = weekdayAhead(5, 4); // this file's own Thursday

describe("booking rules", () => {
  let patient: Awaited<ReturnType<typeof newPatient>>;
  beforeAll(async () => {
    patient = await newPatient("Rules Patient");
  });

  it("rejects an overlapping second appointment of the same patient, even with another doctor free", async () => {
    const general = await slots(patient.token, { from: day, to: day });
    const first = await book(patient.token, slotAt(general, day, "10:00").start);
    expect(first.status).toBe(201);
    const followUps = await slots(patient.token, { typeId: "follow-up", from: day, to: day });
    const overlapping = slotAt(followUps, day, "10:00");
    expect(overlapping.freeDoctors).toBeGreaterThan(0);
    const second = await book(patient.token, overlapping.start, { typeId: "follow-up" });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("PATIENT_OVERLAP");
    // Touching is not overlapping: 10:15 starts when the 10:00 consultation ends.
    const touching = await book(patient.token, slotAt(followUps, day, "10:15").start, { typeId: "follow-up" });
    expect(touching.status).toBe(201);
  });

  it("answers business rules with 422: past, off the grid, minimum notice, horizon", async () => {
    const past = await book(patient.token, "2020-01-06T09:00:00Z");
    expect(past.status).toBe(422);
    expect(past.body.error.code).toBe("IN_THE_PAST");

    const tenOClock = slotAt(await slots(patient.token, { from: day, to: day }), day, "10:40");
    const offGrid = await book(patient.token, new Date(Date.parse(tenOClock.start) + 5 * 60_000).toISOString());
    expect(offGrid.status).toBe(422);
    expect(offGrid.body.error.code).toBe("NOT_ON_SLOT_BOUNDARY");

    // A type of this test's own: at least 60 days' notice, at most 90 days ahead.
    await testDb().appointmentType.put({
      typeId: "test-notice-window",
      regionId: "eu-west",
      name: "Notice window (test)",
      durationMinutes: 15,
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 5,
      minimumNoticeMinutes: 60 * 24 * 60,
      bookingHorizonDays: 90,
      requiresPrescreening: false,
      requiredSkill: "general-practice",
      active: true,
    }).go();
    const early = await book(patient.token, tenOClock.start, { typeId: "test-notice-window" });
    expect(early.status).toBe(422);
    expect(early.body.error.code).toBe("BEFORE_MINIMUM_NOTICE");
    const farDay = DateTime.fromISO(day, { zone: "Europe/London" }).plus({ weeks: 15 });
    const far = farDay.set({ hour: 10, minute: 0 }).toUTC().toISO({ suppressMilliseconds: true })!;
    const late = await book(patient.token, far, { typeId: "test-notice-window" });
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe("BEYOND_HORIZON");
  });

  it("offers no slot before the minimum notice or past the horizon", async () => {
    const window = await slots(patient.token, {
      typeId: "test-notice-window",
      from: DateTime.now().toISODate()!,
      to: DateTime.now().plus({ days: 30 }).toISODate()!,
    });
    expect(window).toEqual([]);
  });

  it("books pre-screened types as pending and offers skilled types only with qualified doctors", async () => {
    const vaccination = await slots(patient.token, { typeId: "vaccination", from: day, to: day });
    const pending = await book(patient.token, slotAt(vaccination, day, "16:00").start, { typeId: "vaccination" });
    expect(pending.status).toBe(201);
    expect(pending.body.status).toBe("pending");

    const cardiology = await slots(patient.token, { typeId: "specialist-cardiology", from: day, to: day });
    const general = await slots(patient.token, { from: day, to: day });
    // London has two cardiologists (one of them also a GP) against five GPs.
    expect(Math.max(...cardiology.map((s) => s.freeDoctors))).toBe(2);
    expect(Math.max(...general.map((s) => s.freeDoctors))).toBe(5);
    const specialist = await book(patient.token, slotAt(cardiology, day, "15:00").start, { typeId: "specialist-cardiology" });
    expect(specialist.status).toBe(201);
    expect(["rajesh-patel", "mei-chen"]).toContain(specialist.body.doctor.id);
    expect(specialist.body.end).toBe(new Date(Date.parse(specialist.body.start) + 30 * 60_000).toISOString().replace(".000Z", "Z"));
  });

  it("assigns the doctor a patient saw before (continuity), and explains it", async () => {
    const returning = await newPatient("Returning Patient");
    const past = new Date(Date.now() - 30 * 24 * 3600_000);
    past.setUTCHours(10, 0, 0, 0);
    const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
    // A visit last month with Dr Okafor, as the staff side will record it (fulfilled).
    await testDb().appointment.create({
      appointmentId: `past-${returning.sub}`, regionId: "eu-west", clinicId: "london-central", typeId: "general-consultation",
      patientId: returning.sub, doctorId: "james-okafor", doctorName: "Dr James Okafor", status: "fulfilled",
      start: iso(past.getTime()), end: iso(past.getTime() + 15 * 60_000), blockStart: iso(past.getTime()), blockEnd: iso(past.getTime() + 20 * 60_000),
      timeZone: "Europe/London", assignment: { rule: "least-loaded", explanation: "seeded", candidates: 5 }, version: 2,
      history: [], createdAt: iso(past.getTime()), updatedAt: iso(past.getTime()),
    }).go();
    const slot = slotAt(await slots(returning.token, { from: day, to: day }), day, "12:20");
    expect(slot.freeDoctors).toBeGreaterThan(1);
    const res = await book(returning.token, slot.start);
    expect(res.status).toBe(201);
    expect(res.body.doctor.id).toBe("james-okafor");
    expect(res.body.assignment).toEqual({ rule: "continuity", explanation: "Dr James Okafor saw you before" });
  });

  it("hides other patients' appointments behind 404", async () => {
    const owner = await newPatient("Owner");
    const stranger = await newPatient("Stranger");
    const slot = slotAt(await slots(owner.token, { from: day, to: day }), day, "13:00");
    const created = await book(owner.token, slot.start);
    expect(created.status).toBe(201);
    const id = created.body.id;
    for (const [method, path, body] of [
      ["GET", `/api/appointments/${id}`, undefined],
      ["POST", `/api/appointments/${id}/cancel`, {}],
      ["POST", `/api/appointments/${id}/reschedule`, { start: slot.start }],
    ] as const) {
      const res = await api(method, path, { token: stranger.token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("NOT_FOUND");
    }
    const list = await api("GET", "/api/appointments", { token: stranger.token });
    expect(list.body.appointments).toEqual([]);
    const still = await api("GET", `/api/appointments/${id}`, { token: owner.token });
    expect(still.body.status).toBe("booked");
  });

  it("needs a token (401) and the patient role to book (403)", async () => {
    const anonymous = await api("POST", "/api/appointments", { body: { typeId: GENERAL, clinicId: LONDON, start: "2030-01-07T09:00:00Z" } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("UNAUTHORIZED");
    const forged = await api("GET", "/api/clinics", { token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" });
    expect(forged.status).toBe(401);
    const doctor = await signIn("doctor@demo.carebook.test");
    const asDoctor = await api("POST", "/api/appointments", { token: doctor, body: { typeId: GENERAL, clinicId: LONDON, start: "2030-01-07T09:00:00Z" } });
    expect(asDoctor.status).toBe(403);
    expect(asDoctor.body.error.code).toBe("FORBIDDEN");
  });
});
