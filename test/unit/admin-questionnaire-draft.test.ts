/**
 * The web app's questionnaire editor draft (packages/web/src/pages/admin/questionnaire-draft.ts)
 * against the API's own schemas: a stored pre-screening survives the round trip through the
 * editor unchanged, and what the form refuses the API refuses too, at the same path — so the
 * form's issues and the API's 400 show at the same field.
 */
import { describe, expect, it } from "vitest";
import { createTypeSchema } from "@carebook/core/admin/schemas";
import { prescreeningConfigSchema } from "@carebook/core/prescreening/config";
import {
  checkPrescreening,
  draftOf,
  moveQuestion,
  newQuestion,
  prescreeningOf,
  type PrescreeningDraft,
  type QuestionDraft,
} from "../../packages/web/src/pages/admin/questionnaire-draft";

const stored = prescreeningConfigSchema.parse({
  questionnaire: {
    title: "Before your vaccination",
    questions: [
      { id: "fever", kind: "yes-no", text: "Do you have a fever today?" },
      { id: "vaccine", kind: "choice", text: "Which vaccine?", options: ["influenza", "covid-19"], required: false },
      { id: "notes", kind: "text", text: "Anything else?", maxLength: 300, required: false },
      { id: "weight", kind: "number", text: "Your weight in kg", min: 2.5 },
    ],
  },
  answerCutoffMinutes: 240,
});

/** The paths the API's schema refuses this pre-screening at (as a new type's). */
function apiPaths(prescreening: unknown): string[] {
  const result = createTypeSchema.safeParse({ typeId: "t", name: "T", durationMinutes: 20, minimumNoticeMinutes: 1440, requiresPrescreening: true, prescreening });
  return result.success ? [] : result.error.issues.map((i) => i.path.join("."));
}

const withQuestion = (d: PrescreeningDraft, index: number, change: Partial<QuestionDraft>): PrescreeningDraft => ({
  ...d,
  questions: d.questions.map((q, i) => (i === index ? { ...q, ...change } : q)),
});

describe("questionnaire draft", () => {
  it("gives back a stored pre-screening unchanged, each question with its kind's members only", () => {
    const draft = draftOf(stored);
    expect(checkPrescreening(draft)).toEqual([]);
    expect(prescreeningOf(draft)).toEqual(stored);
    // A question changed to another kind keeps none of the old kind's settings.
    const asText = prescreeningOf(withQuestion(draft, 1, { kind: "text" }));
    expect(asText.questionnaire.questions[1]).toEqual({ id: "vaccine", kind: "text", text: "Which vaccine?", required: false, maxLength: 500 });
    expect(prescreeningConfigSchema.safeParse(asText).success).toBe(true);
  });

  it("starts a new one with a question and the API's default time limits", () => {
    const draft = draftOf(undefined);
    expect(draft.questions).toHaveLength(1);
    expect(draft.questions[0]).toMatchObject({ id: "question-1", kind: "yes-no", required: true });
    const defaults = prescreeningConfigSchema.parse({ questionnaire: { title: "x", questions: [{ id: "a", kind: "yes-no", text: "a" }] } });
    expect(draft).toMatchObject({
      answerWithinMinutes: String(defaults.answerWithinMinutes),
      answerCutoffMinutes: String(defaults.answerCutoffMinutes),
      decisionSlaMinutes: String(defaults.decisionSlaMinutes),
      decisionCutoffMinutes: String(defaults.decisionCutoffMinutes),
    });
    // New questions get ids of their own.
    const second = newQuestion(draft.questions);
    expect(second.id).toBe("question-2");
    expect(second.key).not.toBe(draft.questions[0]!.key);
  });

  it.each([
    ["no title", (d: PrescreeningDraft) => ({ ...d, title: "  " }), "prescreening.questionnaire.title"],
    ["no question text", (d: PrescreeningDraft) => withQuestion(d, 0, { text: "" }), "prescreening.questionnaire.questions.0.text"],
    ["an id that is no slug", (d: PrescreeningDraft) => withQuestion(d, 2, { id: "Notes!" }), "prescreening.questionnaire.questions.2.id"],
    ["two questions with one id", (d: PrescreeningDraft) => withQuestion(d, 1, { id: "fever" }), "prescreening.questionnaire.questions"],
    ["a choice of one", (d: PrescreeningDraft) => withQuestion(d, 1, { options: "influenza" }), "prescreening.questionnaire.questions.1.options"],
    ["an option too long", (d: PrescreeningDraft) => withQuestion(d, 1, { options: `a\n${"b".repeat(61)}` }), "prescreening.questionnaire.questions.1.options"],
    ["a text of no length", (d: PrescreeningDraft) => withQuestion(d, 2, { maxLength: "0" }), "prescreening.questionnaire.questions.2.maxLength"],
    ["no questions", (d: PrescreeningDraft) => ({ ...d, questions: [] }), "prescreening.questionnaire.questions"],
    ["answers due within 3 minutes", (d: PrescreeningDraft) => ({ ...d, answerWithinMinutes: "3" }), "prescreening.answerWithinMinutes"],
    ["a cut-off beyond a week", (d: PrescreeningDraft) => ({ ...d, decisionCutoffMinutes: "20000" }), "prescreening.decisionCutoffMinutes"],
  ])("refuses %s where the API does", (_, change, path) => {
    const draft = change(draftOf(stored));
    const form = checkPrescreening(draft).map((i) => i.path);
    expect(form).toContain(path);
    expect(apiPaths(prescreeningOf(draft)).some((p) => p === path || p.startsWith(`${path}.`))).toBe(true);
  });

  it("refuses a number range whose largest is below its smallest (the answers could never pass)", () => {
    const draft = withQuestion(draftOf(stored), 3, { min: "10", max: "5" });
    expect(checkPrescreening(draft)).toEqual([expect.objectContaining({ path: "prescreening.questionnaire.questions.3.max" })]);
    expect(prescreeningOf(withQuestion(draft, 3, { min: "", max: "" })).questionnaire.questions[3]).toEqual({ id: "weight", kind: "number", text: "Your weight in kg", required: true });
  });

  it("moves a question up or down, and not past either end", () => {
    const draft = draftOf(stored);
    const ids = (d: PrescreeningDraft) => d.questions.map((q) => q.id);
    expect(ids(moveQuestion(draft, 1, -1))).toEqual(["vaccine", "fever", "notes", "weight"]);
    expect(ids(moveQuestion(draft, 1, 1))).toEqual(["fever", "notes", "vaccine", "weight"]);
    expect(moveQuestion(draft, 0, -1)).toBe(draft);
    expect(moveQuestion(draft, 3, 1)).toBe(draft);
  });
});
