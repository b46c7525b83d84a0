import { describe, expect, it } from "vitest";
import { rankDoctors, type AssignmentCandidate } from "@carebook/core/appointment/assignment";

const doctors: AssignmentCandidate[] = [
  { doctorId: "d-a", name: "Dr A", languages: ["en"] },
  { doctorId: "d-b", name: "Dr B", languages: ["en", "pl"] },
  { doctorId: "d-c", name: "Dr C", languages: ["en-GB"] },
  { doctorId: "d-d", name: "Dr D", languages: ["pl-PL"] },
];
const loads = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe("rankDoctors", () => {
  it("prefers a doctor the patient saw before, most recent first, over language and load", () => {
    const ranked = rankDoctors(doctors, {
      preferredLanguage: "pl",
      seenDoctorIds: ["d-c", "d-a"],
      loadByDoctor: loads({ "d-c": 9, "d-a": 0 }),
    });
    expect(ranked.map((d) => d.doctorId)).toEqual(["d-c", "d-a", "d-b", "d-d"]);
    expect(ranked[0]).toMatchObject({ rule: "continuity", explanation: "Dr C saw you before" });
  });

  it("then prefers the patient's language (primary subtag), then the least loaded, then the id", () => {
    const ranked = rankDoctors(doctors, {
      preferredLanguage: "pl-PL",
      seenDoctorIds: [],
      loadByDoctor: loads({ "d-b": 3, "d-d": 1, "d-a": 2, "d-c": 2 }),
    });
    expect(ranked.map((d) => d.doctorId)).toEqual(["d-d", "d-b", "d-a", "d-c"]);
    expect(ranked[0]!.rule).toBe("language");
    expect(ranked[2]).toMatchObject({ rule: "least-loaded", load: 2 });
    expect(ranked[2]!.explanation).toContain("among 4 free doctors");
  });

  it("keeps the current doctor first on reschedule", () => {
    const ranked = rankDoctors(doctors, {
      preferredLanguage: "en",
      seenDoctorIds: ["d-a"],
      loadByDoctor: loads({}),
      currentDoctorId: "d-d",
    });
    expect(ranked[0]).toMatchObject({ doctorId: "d-d", rule: "kept" });
  });

  it("is deterministic: the same input in any order gives the same ranking", () => {
    const context = { preferredLanguage: "en", seenDoctorIds: [], loadByDoctor: loads({ "d-a": 1 }) };
    const forward = rankDoctors(doctors, context).map((d) => d.doctorId);
    const backward = rankDoctors([...doctors].reverse(), context).map((d) => d.doctorId);
    expect(backward).toEqual(forward);
    expect(forward).toEqual(["d-b", "d-c", "d-a", "d-d"]);
  });
});
