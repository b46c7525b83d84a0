/**
 * A visit type's pre-screening (questionnaire and time limits) as the editor holds it — text
 * fields as typed — and back as the API takes it (packages/core/src/prescreening/questionnaire.ts
 * and config.ts). The form's own checks use the API's limits and name the API's paths
 * (`prescreening.questionnaire.questions.2.options`), so its issues and the API's 400 show at
 * the same fields. Pure: no React, unit-tested.
 */
import type { BodyOf } from "../../../../../functions/contract";

/** An issue at a field: shared.tsx's `FieldIssue` (not imported: this module stays JSX-free, for
 * the unit tests' compiler). */
type FieldIssue = { path: string; message: string };

export type PrescreeningBody = NonNullable<BodyOf<"POST /api/admin/types">["prescreening"]>;
export type QuestionKind = "yes-no" | "choice" | "text" | "number";

export const QUESTION_KINDS: ReadonlyArray<{ kind: QuestionKind; label: string }> = [
  { kind: "yes-no", label: "Yes or no" },
  { kind: "choice", label: "One of a list" },
  { kind: "text", label: "Text" },
  { kind: "number", label: "Number" },
];

export interface QuestionDraft {
  /** The editor's own key for the question (React key, element ids): stays as it moves. */
  key: string;
  id: string;
  kind: QuestionKind;
  text: string;
  required: boolean;
  /** Choice: one option per line. */
  options: string;
  /** Text: the longest answer. */
  maxLength: string;
  /** Number: the smallest and largest answer, either may be empty. */
  min: string;
  max: string;
}

export const TIME_LIMITS = ["answerWithinMinutes", "answerCutoffMinutes", "decisionSlaMinutes", "decisionCutoffMinutes"] as const;
export type TimeLimit = (typeof TIME_LIMITS)[number];

export interface PrescreeningDraft extends Record<TimeLimit, string> {
  title: string;
  questions: QuestionDraft[];
}

/** The API's limits (prescreening/config.ts, questionnaire.ts). */
const WEEK_MINUTES = 7 * 24 * 60;
export const LIMITS = {
  title: 200,
  questions: 50,
  text: 300,
  options: { min: 2, max: 20, length: 60 },
  maxLength: { min: 1, max: 2000, default: 500 },
  timeLimits: {
    answerWithinMinutes: { min: 5, max: WEEK_MINUTES, default: 24 * 60 },
    answerCutoffMinutes: { min: 0, max: WEEK_MINUTES, default: 120 },
    decisionSlaMinutes: { min: 5, max: WEEK_MINUTES, default: 4 * 60 },
    decisionCutoffMinutes: { min: 0, max: WEEK_MINUTES, default: 60 },
  } satisfies Record<TimeLimit, { min: number; max: number; default: number }>,
} as const;
const QUESTION_ID = /^[a-z][a-z0-9-]{0,39}$/;

let keys = 0;
const newKey = () => `q${++keys}`;

/** A question id not taken yet: question-1, question-2, … */
function freeId(taken: readonly QuestionDraft[]): string {
  for (let n = taken.length + 1; ; n++) {
    const id = `question-${n}`;
    if (!taken.some((q) => q.id === id)) return id;
  }
}

/** A new yes/no question, required, with an id of its own. */
export function newQuestion(existing: readonly QuestionDraft[]): QuestionDraft {
  return { key: newKey(), id: freeId(existing), kind: "yes-no", text: "", required: true, options: "", maxLength: String(LIMITS.maxLength.default), min: "", max: "" };
}

interface StoredQuestion {
  id?: string;
  kind?: string;
  text?: string;
  required?: boolean;
  options?: string[];
  maxLength?: number;
  min?: number;
  max?: number;
}
interface StoredPrescreening extends Partial<Record<TimeLimit, number>> {
  questionnaire?: { title?: string; questions?: StoredQuestion[] };
}

const text = (n: number | undefined) => (n === undefined ? "" : String(n));
const isKind = (kind: unknown): kind is QuestionKind => QUESTION_KINDS.some((k) => k.kind === kind);

/** The editor's draft of a stored pre-screening (a type's, or one to copy); empty without one. */
export function draftOf(stored: unknown): PrescreeningDraft {
  const p = (stored ?? {}) as StoredPrescreening;
  const questions = (p.questionnaire?.questions ?? []).map(
    (q): QuestionDraft => ({
      key: newKey(),
      id: q.id ?? "",
      kind: isKind(q.kind) ? q.kind : "yes-no",
      text: q.text ?? "",
      required: q.required ?? true,
      options: (q.options ?? []).join("\n"),
      maxLength: text(q.maxLength ?? LIMITS.maxLength.default),
      min: text(q.min),
      max: text(q.max),
    }),
  );
  const limits = Object.fromEntries(TIME_LIMITS.map((l) => [l, text(p[l] ?? LIMITS.timeLimits[l].default)])) as Record<TimeLimit, string>;
  return { title: p.questionnaire?.title ?? "", questions: questions.length ? questions : [newQuestion([])], ...limits };
}

const lines = (options: string) =>
  options
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
const whole = (value: string) => (/^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN);
const decimal = (value: string) => (value.trim() === "" ? undefined : Number(value.trim()));

/** What the API takes: only the members of each question's kind. Call after `checkPrescreening`. */
export function prescreeningOf(d: PrescreeningDraft): PrescreeningBody {
  const questions = d.questions.map((q) => {
    const base = { id: q.id.trim(), text: q.text.trim(), required: q.required };
    switch (q.kind) {
      case "yes-no":
        return { ...base, kind: q.kind };
      case "choice":
        return { ...base, kind: q.kind, options: lines(q.options) };
      case "text":
        return { ...base, kind: q.kind, maxLength: whole(q.maxLength) };
      case "number": {
        const [min, max] = [decimal(q.min), decimal(q.max)];
        return { ...base, kind: q.kind, ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
      }
    }
  });
  const limits = Object.fromEntries(TIME_LIMITS.map((l) => [l, whole(d[l])])) as Record<TimeLimit, number>;
  return { questionnaire: { title: d.title.trim(), questions }, ...limits };
}

/** Where a question's fields are, as the API names them. */
export const questionPath = (index: number, field?: keyof StoredQuestion) =>
  `prescreening.questionnaire.questions.${index}${field ? `.${field}` : ""}`;
export const QUESTIONS_PATH = "prescreening.questionnaire.questions";
export const TITLE_PATH = "prescreening.questionnaire.title";

/** The form's checks of a draft (the API makes the same, and more). */
export function checkPrescreening(d: PrescreeningDraft): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const title = d.title.trim();
  if (!title) issues.push({ path: TITLE_PATH, message: "Give the questionnaire a title, e.g. Before your visit" });
  else if (title.length > LIMITS.title) issues.push({ path: TITLE_PATH, message: `At most ${LIMITS.title} characters` });

  if (d.questions.length === 0) issues.push({ path: QUESTIONS_PATH, message: "Add at least one question" });
  else if (d.questions.length > LIMITS.questions) issues.push({ path: QUESTIONS_PATH, message: `At most ${LIMITS.questions} questions` });
  const ids = d.questions.map((q) => q.id.trim());
  if (new Set(ids).size !== ids.length) issues.push({ path: QUESTIONS_PATH, message: "question ids must be unique" });

  d.questions.forEach((q, i) => issues.push(...checkQuestion(q, i)));

  for (const limit of TIME_LIMITS) {
    const { min, max } = LIMITS.timeLimits[limit];
    const n = whole(d[limit]);
    if (!Number.isInteger(n) || n < min || n > max) issues.push({ path: `prescreening.${limit}`, message: `A whole number of minutes from ${min} to ${max} (7 days)` });
  }
  return issues;
}

function checkQuestion(q: QuestionDraft, i: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!QUESTION_ID.test(q.id.trim())) {
    issues.push({ path: questionPath(i, "id"), message: "lower-case letters, digits and dashes, starting with a letter (at most 40)" });
  }
  const text = q.text.trim();
  if (!text) issues.push({ path: questionPath(i, "text"), message: "Enter the question" });
  else if (text.length > LIMITS.text) issues.push({ path: questionPath(i, "text"), message: `At most ${LIMITS.text} characters` });
  if (q.kind === "choice") {
    const options = lines(q.options);
    const { min, max, length } = LIMITS.options;
    if (options.length < min || options.length > max) issues.push({ path: questionPath(i, "options"), message: `From ${min} to ${max} options, one per line` });
    else if (options.some((o) => o.length > length)) issues.push({ path: questionPath(i, "options"), message: `Each option at most ${length} characters` });
    else if (new Set(options).size !== options.length) issues.push({ path: questionPath(i, "options"), message: "Each option only once" });
  }
  if (q.kind === "text") {
    const n = whole(q.maxLength);
    const { min, max } = LIMITS.maxLength;
    if (!Number.isInteger(n) || n < min || n > max) issues.push({ path: questionPath(i, "maxLength"), message: `A whole number from ${min} to ${max}` });
  }
  if (q.kind === "number") {
    const [min, max] = [decimal(q.min), decimal(q.max)];
    if (min !== undefined && !Number.isFinite(min)) issues.push({ path: questionPath(i, "min"), message: "A number, or empty for no lower limit" });
    if (max !== undefined && !Number.isFinite(max)) issues.push({ path: questionPath(i, "max"), message: "A number, or empty for no upper limit" });
    else if (min !== undefined && max !== undefined && Number.isFinite(min) && min > max) {
      issues.push({ path: questionPath(i, "max"), message: "The largest answer must not be below the smallest" });
    }
  }
  return issues;
}

/** The draft with question `index` moved by `by` (−1 up, +1 down); unchanged at either end. */
export function moveQuestion(d: PrescreeningDraft, index: number, by: -1 | 1): PrescreeningDraft {
  const to = index + by;
  if (to < 0 || to >= d.questions.length) return d;
  const questions = [...d.questions];
  [questions[index], questions[to]] = [questions[to]!, questions[index]!];
  return { ...d, questions };
}
