import { beforeAll, describe, expect, it } from "vitest";
import { archiveAfter } from "@carebook/core/archive/retention";
import { api, book, newPatient, signIn, slotAt, slots, testDb, weekdayAhead } from "./harness";

const day = weekdayAhead(10, 2); // this file's own Tuesday

/** Runs the local TTL stand-in now, then delivers the stream (the archiver included). */
async function expireAndDeliver() {
  const swept = await api("POST", "/local/ttl/sweep");
  expect(swept.status).toBe(200);
  const drained = await api("POST", "/local/streams/drain");
  expect(drained.status).toBe(204);
}

describe("archival", () => {
  let patient: Awaited<ReturnType<typeof newPatient>>;
  let admin: string;
  beforeAll(async () => {
    patient = await newPatient("Archived Patient");
    admin = await signIn("admin@demo.carebook.test");
  });

  it("keeps a cancelled appointment the region's retention, then it is readable from the archive and gone from the table", async () => {
    const slot = slotAt(await slots(patient.token, { from: day, to: day }), day, "10:00");
    const created = await book(patient.token, slot.start, { reason: "check-up" });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const cancelledAt = Date.now();
    const cancelled = await api("POST", `/api/appointments/${id}/cancel`, { token: patient.token, body: { reason: "moved away" } });
    expect(cancelled.status).toBe(200);

    // The cancellation set the TTL: the end plus the region's retention.
    const db = testDb();
    const { data: stored } = await db.appointment.get({ appointmentId: id }).go({ consistent: true });
    const { data: region } = await db.region.get({ regionId: stored!.regionId }).go();
    expect(stored!.expiresAt).toBe(archiveAfter(stored!.end, region!.retentionDays, cancelledAt));

    // Not archived yet: still in the table, nothing to look up.
    await expireAndDeliver();
    expect((await api("GET", `/api/admin/appointments/archive/${id}`, { token: admin })).status).toBe(404);

    // The retention has passed (years, here a minute ago): the TTL takes it, the archiver keeps it.
    await db.appointment.patch({ appointmentId: id }).set({ expiresAt: Math.floor(Date.now() / 1000) - 60 }).go();
    await expireAndDeliver();

    const archived = await api("GET", `/api/admin/appointments/archive/${id}`, { token: admin });
    expect(archived.status).toBe(200);
    expect(archived.body.appointment).toMatchObject({
      appointmentId: id,
      patientId: patient.sub,
      status: "cancelled",
      cancelReason: "moved away",
      reason: "check-up",
      start: slot.start,
    });
    const month = slot.start.slice(0, 7).replace("-", "/");
    expect(archived.body.archive.key).toMatch(new RegExp(`^${stored!.regionId}/${stored!.clinicId}/${month}/\\d+\\.jsonl$`));

    // Gone from the table, and so from the patient's own view.
    const { data: gone } = await db.appointment.get({ appointmentId: id }).go({ consistent: true });
    expect(gone).toBeNull();
    expect((await api("GET", `/api/appointments/${id}`, { token: patient.token })).status).toBe(404);
  });

  it("is for admins only", async () => {
    const res = await api("GET", "/api/admin/appointments/archive/some-appointment", { token: patient.token });
    expect(res.status).toBe(403);
  });

  it("answers 404 for an appointment that was never archived", async () => {
    const res = await api("GET", "/api/admin/appointments/archive/no-such-appointment", { token: admin });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });
});
