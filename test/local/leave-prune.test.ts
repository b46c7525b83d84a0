/**
 * Approving leave prunes the doctor's ended absences (packages/core/src/staff/leave.ts) in the
 * same conditional write that adds the new one, on a real DynamoDB Local.
 */
import { describe, expect, it } from "vitest";
import type { Db } from "@carebook/core/entities/index";
import type { Absence } from "@carebook/core/schedule/types";
import { decideLeave, ENDED_ABSENCE_KEPT_MS, withoutEndedAbsences } from "@carebook/core/staff/leave";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();

const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const absence = (leaveId: string, start: number, end: number): Absence => ({ leaveId, start: iso(start), end: iso(end) });

const existing = [
  absence("long-over", NOW - 20 * DAY, NOW - 10 * DAY),
  absence("just-over-margin", NOW - 3 * DAY, NOW - ENDED_ABSENCE_KEPT_MS - 1),
  absence("ended-within-margin", NOW - 2 * DAY, NOW - 2 * HOUR),
  absence("current", NOW - DAY, NOW + DAY),
  absence("future", NOW + 5 * DAY, NOW + 7 * DAY),
];

async function world(): Promise<Db> {
  const { db } = await local.freshTable("leaveprune");
  await db.region.put({ regionId: "r1", name: "West", awsRegion: "eu-west-1", defaultTimeZone: "Europe/London", retentionDays: 90, reminderOffsetsMinutes: [1440] }).go();
  await db.clinic.put({ clinicId: "c1", regionId: "r1", name: "Central", timeZone: "Europe/London", address: { line1: "1 High St", city: "London", postcode: "N1", country: "GB" }, active: true }).go();
  await db.doctor
    .put({ doctorId: "d1", regionId: "r1", name: "Dr Who", clinicIds: ["c1"], skills: ["gp"], languages: ["en"], template: {}, overrides: [], active: true, absences: existing, scheduleVersion: 7, userSub: "doc-sub" })
    .go();
  await db.leave
    .put({
      leaveId: "new-leave",
      regionId: "r1",
      staffSub: "doc-sub",
      staffName: "Dr Who",
      role: "doctor",
      doctorId: "d1",
      clinicIds: ["c1"],
      start: iso(NOW + 20 * DAY),
      end: iso(NOW + 22 * DAY),
      from: "2026-03-30",
      to: "2026-03-31",
      timeZone: "Europe/London",
      reason: "holiday",
      status: "requested",
      requestedAt: iso(NOW - DAY),
    })
    .go();
  return db;
}

describe("pruning ended absences", () => {
  it("keeps absences that end within the margin or later, drops those that ended before it", () => {
    expect(withoutEndedAbsences(existing, NOW).map((a) => a.leaveId)).toEqual(["ended-within-margin", "current", "future"]);
    // Exactly at the margin it is dropped; a millisecond later it would still be kept.
    expect(withoutEndedAbsences([absence("edge", NOW - 2 * DAY, NOW - ENDED_ABSENCE_KEPT_MS)], NOW)).toEqual([]);
    expect(withoutEndedAbsences([absence("edge", NOW - 2 * DAY, NOW - ENDED_ABSENCE_KEPT_MS + 1)], NOW)).toHaveLength(1);
  });

  it("approving leave drops the ended absences and keeps current and future ones, bumping the schedule version once", async () => {
    const db = await world();
    const decided = await decideLeave(db, { leaveId: "new-leave", decision: "approve", clinicIds: ["c1"], actor: { id: "admin-1", role: "admin" }, now: NOW });
    expect(decided.status).toBe("approved");
    const { data: doctor } = await db.doctor.get({ doctorId: "d1" }).go({ consistent: true });
    expect((doctor!.absences as Absence[]).map((a) => a.leaveId)).toEqual(["ended-within-margin", "current", "future", "new-leave"]);
    expect(doctor!.scheduleVersion).toBe(8);
  });

  it("prunes nothing when the doctor's schedule changed meanwhile: the write's version condition fails as a whole", async () => {
    const db = await world();
    // Another change lands between the approval's read and its write.
    const original = db.doctor.get.bind(db.doctor);
    let raced = false;
    (db.doctor as { get: typeof db.doctor.get }).get = ((key: Parameters<typeof db.doctor.get>[0]) => {
      const query = original(key);
      return {
        go: async (options?: Parameters<typeof query.go>[0]) => {
          const result = await query.go(options);
          if (!raced) {
            raced = true;
            await db.doctor.patch({ doctorId: "d1" }).set({ scheduleVersion: 8 }).go();
          }
          return result;
        },
      } as typeof query;
    }) as typeof db.doctor.get;
    await expect(decideLeave(db, { leaveId: "new-leave", decision: "approve", clinicIds: ["c1"], actor: { id: "admin-1", role: "admin" }, now: NOW })).rejects.toMatchObject({
      code: "SCHEDULE_CHANGED",
    });
    (db.doctor as { get: typeof db.doctor.get }).get = original;
    const { data: doctor } = await db.doctor.get({ doctorId: "d1" }).go({ consistent: true });
    expect((doctor!.absences as Absence[]).map((a) => a.leaveId)).toEqual(existing.map((a) => a.leaveId));
    expect((await db.leave.get({ leaveId: "new-leave" }).go()).data!.status).toBe("requested");
  });
});
