import { beforeAll, describe, expect, it } from "vitest";
import { allClaims, book, newPatient, slotAt, slots, testDb, weekdayAhead } from "./harness";

const day = weekdayAhead(4, 3); // this file's own Wednesday

describe("contested booking", () => {
  let patients: Array<Awaited<ReturnType<typeof newPatient>>>;
  let contested = "";
  beforeAll(async () => {
    patients = await Promise.all(Array.from({ length: 20 }, (_, i) => newPatient(`Racer ${i}`)));
  });

  it("books exactly as many of 20 simultaneous requests for one slot as there are free doctors", async () => {
    const slot = slotAt(await slots(patients[0]!.token, { from: day, to: day }), day, "11:00");
    const free = slot.freeDoctors;
    contested = slot.start;
    expect(free).toBeGreaterThan(1);

    const results = await Promise.all(patients.map((p) => book(p.token, slot.start)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(free);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20 - free);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error.code).toBe("SLOT_TAKEN");

    const booked = results.filter((r) => r.status === 201).map((r) => r.body);
    expect(new Set(booked.map((a) => a.doctor.id)).size).toBe(free);

    // The table agrees: one appointment per doctor at that time, one claim set per booking,
    // and no (doctor, unit) claimed twice.
    const db = testDb();
    const stored = await db.appointment.query.byRegionTime({ regionId: "eu-west" }).begins({ start: slot.start }).go({ pages: "all" });
    const active = stored.data.filter((a) => a.start === slot.start && a.status === "booked");
    expect(active).toHaveLength(free);
    const claims = await allClaims();
    for (const a of booked) {
      const mine = claims.filter((c) => c.appointmentId === a.id);
      expect(mine.filter((c) => c.resource.startsWith("doctor#"))).toHaveLength(4);
      expect(mine.filter((c) => c.resource.startsWith("patient#"))).toHaveLength(3);
    }
    const losers = results.filter((r) => r.status === 409);
    expect(losers.length + booked.length).toBe(20);

    const after = await slots(patients[0]!.token, { from: day, to: day });
    expect(after.find((s) => s.start === slot.start)).toBeUndefined();
  });

  it("answers 409 SLOT_TAKEN when the slot is full", async () => {
    const list = await slots(patients[0]!.token, { from: day, to: day });
    expect(list.some((s) => s.localStart.startsWith(`${day}T11:00`))).toBe(false);
    const late = await newPatient("Late");
    const res = await book(late.token, contested);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("SLOT_TAKEN");
  });
});
