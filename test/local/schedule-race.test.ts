/**
 * A booking decided on a doctor's schedule that changes before the booking's transaction lands
 * must not land: every booking checks the doctor's `scheduleVersion` in its transaction, and a
 * refused check makes it decide again on the new schedule. Here leave is approved for every
 * London GP but one between the decision and the write.
 */
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { bookAppointment } from "@carebook/core/appointment/booking";
import type { Db } from "@carebook/core/entities/index";
import { ensurePatientProfile } from "@carebook/core/patient";
import { seedDemoData } from "../../packages/local/src/seed";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();
const NOW = Date.parse("2027-03-01T08:00:00Z");
const START = DateTime.fromISO("2027-03-03T10:00", { zone: "Europe/London" }).toMillis();
const GPS = ["amelia-hughes", "james-okafor", "lucia-garcia", "rajesh-patel", "sofia-kowalska"];

/** Runs `change` once, just before the first transaction of `db` is sent. */
function beforeFirstWrite(db: Db, change: () => Promise<void>) {
  const transaction = db.service.transaction as { write: (...args: unknown[]) => { go: (...a: unknown[]) => Promise<unknown> } };
  const original = transaction.write.bind(transaction);
  let done = false;
  transaction.write = (...args: unknown[]) => {
    const chain = original(...args);
    return {
      ...chain,
      go: async (...a: unknown[]) => {
        if (!done) {
          done = true;
          await change();
        }
        return chain.go(...a);
      },
    };
  };
}

async function bookFrench(db: Db, patientId: string) {
  await ensurePatientProfile(db, { patientId, regionId: "eu-west", name: "Race", email: `${patientId}@test.carebook.test`, preferredLanguage: "fr", now: NOW });
  return bookAppointment(db, {
    regionId: "eu-west",
    patientId,
    actor: { id: patientId, role: "patient" },
    typeId: "general-consultation",
    clinicId: "london-central",
    start: START,
    now: NOW,
  });
}

describe("schedule version", () => {
  it("a booking decided before a schedule change is decided again on the new schedule", async () => {
    const { db } = await local.freshTable("race");
    await seedDemoData(db, NOW);
    // Without the change, a French-speaking patient gets Dr Hughes (language rule).
    const { db: control } = await local.freshTable("race-control");
    await seedDemoData(control, NOW);
    expect((await bookFrench(control, "p0")).doctorId).toBe("amelia-hughes");

    beforeFirstWrite(db, async () => {
      for (const doctorId of GPS.filter((d) => d !== "james-okafor")) {
        await db.doctor
          .patch({ doctorId })
          .set({ absences: [{ leaveId: `leave-${doctorId}`, start: "2027-03-03T00:00:00Z", end: "2027-03-04T00:00:00Z" }], scheduleVersion: 1 })
          .go();
      }
    });
    const booked = await bookFrench(db, "p1");
    expect(booked.doctorId).toBe("james-okafor");
    const { data: claims } = await db.claim.scan.go({ pages: "all" });
    const doctorsClaimed = new Set(
      claims.filter((c) => c.appointmentId === booked.appointmentId && c.resource.startsWith("doctor#")).map((c) => c.resource),
    );
    expect([...doctorsClaimed]).toEqual(["doctor#james-okafor"]);
  });
});
