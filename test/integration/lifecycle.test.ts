import { beforeAll, describe, expect, it } from "vitest";
import { allClaims, api, book, newPatient, slotAt, slots, weekdayAhead } from "./harness";

const day = weekdayAhead(3, 2); // a Tuesday three weeks ahead: this file's own day

describe("booking lifecycle", () => {
  let patient: Awaited<ReturnType<typeof newPatient>>;
  beforeAll(async () => {
    patient = await newPatient("Lifecycle Patient");
  });

  it("books, shows, lists, reschedules and cancels an appointment, freeing its time each step", async () => {
    const before = await slots(patient.token, { from: day, to: day });
    const first = slotAt(before, day, "10:00");
    const second = slotAt(before, day, "14:00");

    const created = await book(patient.token, first.start, { reason: "cough for two weeks" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/appointments/${created.body.id}`);
    expect(created.body).toMatchObject({
      status: "booked",
      start: first.start,
      end: first.end,
      localStart: first.localStart,
      clinicId: "london-central",
      typeId: "general-consultation",
      reason: "cough for two weeks",
      version: 1,
    });
    expect(created.body.doctor.id).toEqual(expect.any(String));
    expect(["continuity", "language", "least-loaded"]).toContain(created.body.assignment.rule);
    expect(created.body.assignment.explanation).toContain(created.body.doctor.name);
    const id = created.body.id as string;

    const afterBooking = await slots(patient.token, { from: day, to: day });
    expect(slotAt(afterBooking, day, "10:00").freeDoctors).toBe(first.freeDoctors - 1);

    const shown = await api("GET", `/api/appointments/${id}`, { token: patient.token });
    expect(shown.status).toBe(200);
    expect(shown.body.id).toBe(id);

    const listed = await api("GET", "/api/appointments", { token: patient.token });
    expect(listed.status).toBe(200);
    expect(listed.body.appointments.map((a: { id: string }) => a.id)).toEqual([id]);

    const moved = await api("POST", `/api/appointments/${id}/reschedule`, { token: patient.token, body: { start: second.start } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id, start: second.start, status: "booked", version: 2 });
    expect(moved.body.history.map((h: { action: string }) => h.action)).toEqual(["booked", "rescheduled"]);
    const afterMove = await slots(patient.token, { from: day, to: day });
    expect(slotAt(afterMove, day, "10:00").freeDoctors).toBe(first.freeDoctors);
    expect(slotAt(afterMove, day, "14:00").freeDoctors).toBe(second.freeDoctors - 1);

    const cancelled = await api("POST", `/api/appointments/${id}/cancel`, { token: patient.token, body: { reason: "feeling better" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: "cancelled", cancelReason: "feeling better", version: 3 });
    const afterCancel = await slots(patient.token, { from: day, to: day });
    expect(slotAt(afterCancel, day, "14:00").freeDoctors).toBe(second.freeDoctors);

    const claims = await allClaims();
    expect(claims.filter((c) => c.appointmentId === id)).toEqual([]);

    const again = await api("POST", `/api/appointments/${id}/cancel`, { token: patient.token, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("INVALID_STATE");
  });

  it("takes exactly the claims of the appointment: doctor for duration + buffers, patient for the duration", async () => {
    const list = await slots(patient.token, { from: day, to: day });
    const slot = slotAt(list, day, "15:00");
    const created = await book(patient.token, slot.start);
    expect(created.status).toBe(201);
    const mine = (await allClaims()).filter((c) => c.appointmentId === created.body.id);
    const doctorUnits = mine.filter((c) => c.resource === `doctor#${created.body.doctor.id}`).map((c) => c.unit).sort();
    const patientUnits = mine.filter((c) => c.resource === `patient#${patient.sub}`).map((c) => c.unit).sort();
    // general consultation: 15 minutes + 5 minutes buffer after, in 5-minute units
    const unit = (i: number) => new Date(Date.parse(slot.start) + i * 300_000).toISOString().replace(".000Z", "Z");
    expect(doctorUnits).toEqual([0, 1, 2, 3].map(unit));
    expect(patientUnits).toEqual([0, 1, 2].map(unit));
    expect(mine).toHaveLength(7);
  });

  it("pages a patient's appointments with a cursor and filters by status", async () => {
    const other = await newPatient("Pager");
    const list = await slots(other.token, { from: day, to: day });
    const starts = ["11:00", "11:20", "11:40"].map((t) => slotAt(list, day, t).start);
    const ids: string[] = [];
    for (const start of starts) {
      const res = await book(other.token, start);
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    await api("POST", `/api/appointments/${ids[1]}/cancel`, { token: other.token, body: {} });

    const page1 = await api("GET", "/api/appointments?limit=2", { token: other.token });
    expect(page1.status).toBe(200);
    expect(page1.body.appointments.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api("GET", `/api/appointments?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { token: other.token });
    expect(page2.body.appointments.map((a: { id: string }) => a.id)).toEqual(ids.slice(2));

    const cancelled = await api("GET", "/api/appointments?status=cancelled", { token: other.token });
    expect(cancelled.body.appointments.map((a: { id: string }) => a.id)).toEqual([ids[1]]);

    const window = await api("GET", `/api/appointments?from=${encodeURIComponent(starts[1]!)}&to=${encodeURIComponent(starts[2]!)}`, { token: other.token });
    expect(window.body.appointments.map((a: { id: string }) => a.id)).toEqual([ids[1]]);
  });
});
