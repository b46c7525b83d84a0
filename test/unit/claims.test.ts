import { describe, expect, it } from "vitest";
import { claimUnits, diffClaims, planClaims } from "@carebook/core/appointment/claims";

const at = (hhmm: string) => Date.parse(`2027-01-11T${hhmm}:00Z`);

describe("claims", () => {
  it("covers [start, end) in 5-minute units", () => {
    expect(claimUnits(at("09:00"), at("09:20"))).toEqual([
      "2027-01-11T09:00:00Z",
      "2027-01-11T09:05:00Z",
      "2027-01-11T09:10:00Z",
      "2027-01-11T09:15:00Z",
    ]);
    expect(claimUnits(at("09:00"), at("09:00"))).toEqual([]);
    expect(() => claimUnits(at("09:00") + 60_000, at("09:20"))).toThrow(/grid/);
  });

  it("plans doctor claims over the block and patient claims over the appointment", () => {
    const plan = planClaims({ doctorId: "d1", patientId: "p1", blockStart: at("08:55"), blockEnd: at("09:25"), start: at("09:00"), end: at("09:15") });
    expect(plan.doctor.map((c) => c.unit)).toHaveLength(6);
    expect(plan.doctor.every((c) => c.resource === "doctor#d1")).toBe(true);
    expect(plan.patient.map((c) => c.unit)).toEqual(claimUnits(at("09:00"), at("09:15")));
    expect(plan.patient.every((c) => c.resource === "patient#p1")).toBe(true);
  });

  it("moves claims by taking only new units and releasing only old ones", () => {
    const before = planClaims({ doctorId: "d1", patientId: "p1", blockStart: at("09:00"), blockEnd: at("09:20"), start: at("09:00"), end: at("09:15") });
    const after = planClaims({ doctorId: "d1", patientId: "p1", blockStart: at("09:10"), blockEnd: at("09:30"), start: at("09:10"), end: at("09:25") });
    const doctor = diffClaims(before.doctor, after.doctor);
    expect(doctor.take.map((c) => c.unit)).toEqual(claimUnits(at("09:20"), at("09:30")));
    expect(doctor.release.map((c) => c.unit)).toEqual(claimUnits(at("09:00"), at("09:10")));
    const otherDoctor = planClaims({ doctorId: "d2", patientId: "p1", blockStart: at("09:10"), blockEnd: at("09:30"), start: at("09:10"), end: at("09:25") });
    const swap = diffClaims(before.doctor, otherDoctor.doctor);
    expect(swap.take).toHaveLength(4);
    expect(swap.release).toHaveLength(4);
  });
});
