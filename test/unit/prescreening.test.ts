import { describe, expect, it } from "vitest";
import { deadlinesFor, HOLD_GRACE_MS, prescreeningConfigSchema, slaDueFrom } from "@carebook/core/prescreening/config";
import { answersSchema, questionnaireSchema } from "@carebook/core/prescreening/questionnaire";

const HOUR = 3600_000;

const questionnaire = questionnaireSchema.parse({
  title: "Before your vaccination",
  questions: [
    { id: "vaccine", kind: "choice", text: "Which vaccine?", options: ["influenza", "covid-19"] },
    { id: "fever", kind: "yes-no", text: "Fever today?" },
    { id: "allergies", kind: "text", text: "Allergies", required: false, maxLength: 20 },
    { id: "weight", kind: "number", text: "Weight (kg)", min: 1, max: 400, required: false },
  ],
});
const schema = answersSchema(questionnaire);

describe("questionnaire answers", () => {
  it("accepts complete answers and leaves out optional ones", () => {
    expect(schema.safeParse({ vaccine: "influenza", fever: false }).success).toBe(true);
    expect(schema.safeParse({ vaccine: "covid-19", fever: true, allergies: "penicillin", weight: 70 }).success).toBe(true);
  });

  it("rejects missing required answers, unknown questions, wrong kinds and out-of-range values", () => {
    const paths = (value: unknown) => {
      const result = schema.safeParse(value);
      return result.success ? [] : result.error.issues.map((i) => i.path.join(".") || i.code);
    };
    expect(paths({ fever: false })).toEqual(["vaccine"]);
    expect(paths({ vaccine: "influenza", fever: false, extra: 1 })).toEqual(["unrecognized_keys"]);
    expect(paths({ vaccine: "measles", fever: false })).toEqual(["vaccine"]);
    expect(paths({ vaccine: "influenza", fever: "no" })).toEqual(["fever"]);
    expect(paths({ vaccine: "influenza", fever: false, allergies: "x".repeat(21) })).toEqual(["allergies"]);
    expect(paths({ vaccine: "influenza", fever: false, weight: 0 })).toEqual(["weight"]);
    expect(paths({ vaccine: "influenza", fever: false, allergies: "   " })).toEqual(["allergies"]);
  });

  it("refuses a questionnaire with duplicate question ids or a one-option choice", () => {
    const q = (questions: unknown[]) => questionnaireSchema.safeParse({ title: "t", questions }).success;
    expect(q([{ id: "a", kind: "yes-no", text: "A" }, { id: "a", kind: "yes-no", text: "B" }])).toBe(false);
    expect(q([{ id: "a", kind: "choice", text: "A", options: ["only"] }])).toBe(false);
    expect(q([{ id: "a", kind: "yes-no", text: "A" }])).toBe(true);
  });
});

describe("pre-screening deadlines", () => {
  const config = prescreeningConfigSchema.parse({ questionnaire });
  const bookedAt = Date.parse("2026-03-02T09:00:00Z");

  it("defaults to 24 h to answer, a 4 h nurse SLA, answers closing 2 h and decisions 1 h before the start", () => {
    expect(config).toMatchObject({ answerWithinMinutes: 1440, decisionSlaMinutes: 240, answerCutoffMinutes: 120, decisionCutoffMinutes: 60 });
  });

  it("gives the patient 24 h when the visit is far enough away", () => {
    const start = bookedAt + 72 * HOUR;
    const d = deadlinesFor(config, start, bookedAt);
    expect(d.answerBy).toBe(bookedAt + 24 * HOUR);
    expect(d.decideBy).toBe(start - HOUR);
    expect(d.holdExpiresAt).toBe(start - HOUR + HOLD_GRACE_MS);
  });

  it("never lets the answer deadline come later than 2 h before the start", () => {
    const start = bookedAt + 25 * HOUR;
    expect(deadlinesFor(config, start, bookedAt).answerBy).toBe(start - 2 * HOUR);
  });

  it("caps the nurse SLA at the decision deadline", () => {
    const decideBy = bookedAt + 3 * HOUR;
    expect(slaDueFrom(config, bookedAt, decideBy)).toBe(decideBy);
    expect(slaDueFrom(config, bookedAt, bookedAt + 10 * HOUR)).toBe(bookedAt + 4 * HOUR);
  });
});
