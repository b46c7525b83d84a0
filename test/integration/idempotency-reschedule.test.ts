import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { allClaims, api, book, newPatient, slotAt, slots, weekdayAhead } from "./harness";

const day = weekdayAhead(6, 1); // this file's own Monday

describe("idempotent retries", () => {
  let patient: Awaited<ReturnType<typeof newPatient>>;
  beforeAll(async () => {
    patient = await newPatient("Retry Patient");
  });

  it("answers a retried booking with the first response and books once", async () => {
    const slot = slotAt(await slots(patient.token, { from: day, to: day }), day, "10:00");
    const key = randomUUID();
    const first = await book(patient.token, slot.start, {}, { "idempotency-key": key });
    const retry = await book(patient.token, slot.start, {}, { "idempotency-key": key });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    const mine = await api("GET", "/api/appointments", { token: patient.token });
    expect(mine.body.appointments.filter((a: { start: string }) => a.start === slot.start)).toHaveLength(1);
  });

  it("refuses the same key with another body (422) and treats concurrent duplicates as one booking", async () => {
    const list = await slots(patient.token, { from: day, to: day });
    const key = randomUUID();
    const first = await book(patient.token, slotAt(list, day, "12:00").start, {}, { "idempotency-key": key });
    expect(first.status).toBe(201);
    const other = await book(patient.token, slotAt(list, day, "13:00").start, {}, { "idempotency-key": key });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // The refusal must not disturb the stored result: the original retry still replays it.
    const replay = await book(patient.token, slotAt(list, day, "12:00").start, {}, { "idempotency-key": key });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);

    const burstKey = randomUUID();
    const start = slotAt(list, day, "14:00").start;
    const burst = await Promise.all([1, 2, 3].map(() => book(patient.token, start, {}, { "idempotency-key": burstKey })));
    expect(burst.filter((r) => r.status >= 500)).toEqual([]);
    const created = burst.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    for (const r of burst.filter((r) => r.status !== 201)) expect(r.body.error.code).toBe("REQUEST_IN_PROGRESS");
  });

  it("refuses one key reused for another appointment's cancellation", async () => {
    const list = await slots(patient.token, { from: day, to: day });
    const a = await book(patient.token, slotAt(list, day, "15:40").start);
    const b = await book(patient.token, slotAt(list, day, "16:20").start);
    const key = randomUUID();
    const first = await api("POST", `/api/appointments/${a.body.id}/cancel`, { token: patient.token, body: {}, headers: { "idempotency-key": key } });
    expect(first.status).toBe(200);
    const replay = await api("POST", `/api/appointments/${a.body.id}/cancel`, { token: patient.token, body: {}, headers: { "idempotency-key": key } });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    const other = await api("POST", `/api/appointments/${b.body.id}/cancel`, { token: patient.token, body: {}, headers: { "idempotency-key": key } });
    expect(other.status).toBe(422);
    const stillBooked = await api("GET", `/api/appointments/${b.body.id}`, { token: patient.token });
    expect(stillBooked.body.status).toBe("booked");
  });

  it("keys are per caller: another patient's identical key books their own appointment", async () => {
    const other = await newPatient("Other Retry");
    const slot = slotAt(await slots(other.token, { from: day, to: day }), day, "15:00");
    const key = randomUUID();
    const a = await book(patient.token, slot.start, {}, { "idempotency-key": key });
    const b = await book(other.token, slot.start, {}, { "idempotency-key": key });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
  });
});

describe("reschedule atomicity", () => {
  it("changes nothing when the new time is taken, and moves everything when it is free", async () => {
    const mover = await newPatient("Mover");
    const list = await slots(mover.token, { from: day, to: day });
    const from = slotAt(list, day, "09:40");
    const full = slotAt(list, day, "16:00");
    const freeTarget = slotAt(list, day, "16:20");

    const created = await book(mover.token, from.start);
    expect(created.status).toBe(201);
    const id = created.body.id;
    const claimsBefore = (await allClaims()).filter((c) => c.appointmentId === id).map((c) => `${c.resource}|${c.unit}`).sort();

    // Fill 16:00 with other patients until no doctor is left.
    const fillers = await Promise.all(Array.from({ length: full.freeDoctors }, (_, i) => newPatient(`Filler ${i}`)));
    for (const f of fillers) expect((await book(f.token, full.start)).status).toBe(201);

    const refused = await api("POST", `/api/appointments/${id}/reschedule`, { token: mover.token, body: { start: full.start } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("SLOT_TAKEN");
    const unchanged = await api("GET", `/api/appointments/${id}`, { token: mover.token });
    expect(unchanged.body).toMatchObject({ start: from.start, version: 1, doctor: created.body.doctor });
    const claimsAfterRefusal = (await allClaims()).filter((c) => c.appointmentId === id).map((c) => `${c.resource}|${c.unit}`).sort();
    expect(claimsAfterRefusal).toEqual(claimsBefore);

    const moved = await api("POST", `/api/appointments/${id}/reschedule`, { token: mover.token, body: { start: freeTarget.start } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ start: freeTarget.start, version: 2 });
    // The patient keeps their doctor when that doctor is free at the new time.
    expect(moved.body.doctor).toEqual(created.body.doctor);
    expect(moved.body.assignment.rule).toBe("kept");
    const claimsAfterMove = (await allClaims()).filter((c) => c.appointmentId === id);
    expect(claimsAfterMove).toHaveLength(claimsBefore.length);
    expect(claimsAfterMove.every((c) => Date.parse(c.unit) >= Date.parse(freeTarget.start))).toBe(true);

    const sameTime = await api("POST", `/api/appointments/${id}/reschedule`, { token: mover.token, body: { start: freeTarget.start } });
    expect(sameTime.status).toBe(422);
    expect(sameTime.body.error.code).toBe("UNCHANGED");
  });

  it("lets only one of two concurrent reschedules of one appointment win", async () => {
    const racer = await newPatient("Double Mover");
    const list = await slots(racer.token, { from: day, to: day });
    const created = await book(racer.token, slotAt(list, day, "11:00").start);
    expect(created.status).toBe(201);
    const targets = [slotAt(list, day, "11:20").start, slotAt(list, day, "11:40").start];
    const results = await Promise.all(
      targets.map((start) => api("POST", `/api/appointments/${created.body.id}/reschedule`, { token: racer.token, body: { start } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const final = await api("GET", `/api/appointments/${created.body.id}`, { token: racer.token });
    const winner = results.find((r) => r.status === 200)!;
    expect(final.body.start).toBe(winner.body.start);
    expect(final.body.version).toBe(2);
    const claims = (await allClaims()).filter((c) => c.appointmentId === created.body.id);
    expect(claims).toHaveLength(7);
    expect(claims.every((c) => Date.parse(c.unit) >= Date.parse(final.body.start))).toBe(true);
  });
});
