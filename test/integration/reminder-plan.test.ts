/**
 * Reminder times come from the appointment type when it sets them, else from the region
 * (T-24 h and T-2 h in the demo region); times already past are skipped.
 */
import { describe, expect, it } from "vitest";
import { bookAppointment } from "@carebook/core/appointment/booking";
import { planReminders } from "@carebook/core/appointment/reminders";
import { demoTypes } from "@carebook/local/seed";
import { LONDON, newPatient, testDb, weekdayAhead } from "./harness";

const day = weekdayAhead(8, 3); // this file's own Wednesday
const HOUR = 3600_000;

async function book(typeId: string, hhmm: string) {
  const patient = await newPatient("Reminder Plan");
  return bookAppointment(testDb(), {
    regionId: "eu-west",
    patientId: patient.sub,
    actor: { id: patient.sub, role: "patient" },
    typeId,
    clinicId: LONDON,
    start: Date.parse(`${day}T${hhmm}:00Z`),
    now: Date.now(),
  });
}

describe("reminder plan", () => {
  it("uses the region's offsets by default and the type's own when it has them", async () => {
    const general = await book("general-consultation", "10:00");
    const plan = await planReminders(testDb(), { appointmentId: general.appointmentId, version: general.version, now: Date.now() });
    const start = Date.parse(general.start);
    expect(plan.reminders.map((r) => [r.kind, Date.parse(r.at)])).toEqual([
      ["1440m", start - 24 * HOUR],
      ["120m", start - 2 * HOUR],
    ]);

    // A type of its own with two other reminder times (a fresh type: the seeded ones stay as they are).
    const base = demoTypes.find((t) => t.typeId === "follow-up")!;
    await testDb().appointmentType.put({ ...base, typeId: "reminder-plan-type", name: "Reminder plan type", reminderOffsetsMinutes: [30, 2 * 24 * 60] }).go();
    const custom = await book("reminder-plan-type", "11:00");
    const customPlan = await planReminders(testDb(), { appointmentId: custom.appointmentId, version: custom.version, now: Date.now() });
    const customStart = Date.parse(custom.start);
    expect(customPlan.reminders.map((r) => [r.kind, Date.parse(r.at)])).toEqual([
      ["2880m", customStart - 48 * HOUR],
      ["30m", customStart - 0.5 * HOUR],
    ]);

    // Past times are skipped; an outdated version plans nothing.
    const late = await planReminders(testDb(), { appointmentId: general.appointmentId, version: general.version, now: start - 3 * HOUR });
    expect(late.reminders.map((r) => r.kind)).toEqual(["120m"]);
    const stale = await planReminders(testDb(), { appointmentId: general.appointmentId, version: general.version + 1, now: Date.now() });
    expect(stale.reminders).toEqual([]);
  });
});
