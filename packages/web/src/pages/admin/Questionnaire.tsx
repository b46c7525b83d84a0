/**
 * The pre-screening editor of a visit type: the questionnaire's title, its questions (kind, text,
 * id, required, and each kind's own settings — options, longest text, number range) added,
 * removed and reordered with buttons, and the time limits of answering and deciding. A copy of
 * another type's pre-screening can be its start.
 *
 * Keyboard and screen readers: every question is a fieldset named "Question n"; moving or
 * removing one keeps focus on a sensible control (the moved question's button, the next
 * question) and says what happened in a status message. Issues — the form's own checks
 * (questionnaire-draft.ts) or the API's 400 — show at their field, by the API's paths.
 */
import { useEffect, useState } from "react";
import {
  LIMITS,
  QUESTION_KINDS,
  QUESTIONS_PATH,
  TIME_LIMITS,
  TITLE_PATH,
  draftOf,
  moveQuestion,
  newQuestion,
  questionPath,
  type PrescreeningDraft,
  type QuestionDraft,
  type QuestionKind,
  type TimeLimit,
} from "./questionnaire-draft";
import { FieldError, fieldProps, type AdminType } from "./shared";

const limitTexts: Record<TimeLimit, { label: string; hint: string }> = {
  answerWithinMinutes: { label: "Patient answers within (minutes)", hint: "After booking, e.g. 1440 for a day" },
  answerCutoffMinutes: { label: "Answers due before the visit (minutes)", hint: "The answers are due this long before the start at the latest" },
  decisionSlaMinutes: { label: "Nurse decides within (minutes)", hint: "After the answers arrive; later, it is escalated" },
  decisionCutoffMinutes: { label: "Decision due before the visit (minutes)", hint: "Undecided by then, the held time is released" },
};

export function QuestionnaireEditor(props: {
  ids: string;
  draft: PrescreeningDraft;
  onChange: (draft: PrescreeningDraft) => void;
  error: unknown;
  /** Other visit types whose questionnaire may be copied. */
  sources: readonly AdminType[];
}) {
  const { ids, draft, onChange, error } = props;
  const [announcement, setAnnouncement] = useState("");
  // The element to focus once the change has rendered (a moved or added question's control).
  const [focusNext, setFocusNext] = useState<string>();
  useEffect(() => {
    if (!focusNext) return;
    document.getElementById(focusNext)?.focus();
    setFocusNext(undefined);
  }, [focusNext]);

  const qid = (q: QuestionDraft, part: string) => `${ids}-${q.key}-${part}`;
  const setQuestion = (index: number, change: Partial<QuestionDraft>) =>
    onChange({ ...draft, questions: draft.questions.map((q, i) => (i === index ? { ...q, ...change } : q)) });

  function add() {
    const question = newQuestion(draft.questions);
    onChange({ ...draft, questions: [...draft.questions, question] });
    setAnnouncement(`Question ${draft.questions.length + 1} added.`);
    setFocusNext(qid(question, "text"));
  }
  function remove(index: number) {
    const questions = draft.questions.filter((_, i) => i !== index);
    onChange({ ...draft, questions });
    setAnnouncement(`Question ${index + 1} removed.`);
    const next = questions[Math.min(index, questions.length - 1)];
    setFocusNext(next ? qid(next, "text") : `${ids}-add-question`);
  }
  function copy(source: AdminType) {
    onChange(draftOf(source.prescreening));
    setAnnouncement(`Copied the questions and time limits of ${source.name}.`);
  }
  function move(index: number, by: -1 | 1) {
    const q = draft.questions[index]!;
    onChange(moveQuestion(draft, index, by));
    const to = index + by;
    setAnnouncement(`Question ${index + 1} moved ${by < 0 ? "up" : "down"}: it is question ${to + 1} now.`);
    // Stay on the button pressed, unless the question reached that end (the button is disabled then).
    const atEnd = by < 0 ? to === 0 : to === draft.questions.length - 1;
    const [pressed, other] = by < 0 ? ["up", "down"] : ["down", "up"];
    setFocusNext(qid(q, atEnd ? other : pressed));
  }

  return (
    <>
      <fieldset aria-describedby={fieldProps(error, QUESTIONS_PATH, `${ids}-questions`, undefined, true)["aria-describedby"]}>
        <legend>Questionnaire</legend>
        <div className="stack">
          {props.sources.length ? <CopyFrom ids={ids} sources={props.sources} onCopy={copy} /> : null}
          <div className="field">
            <label htmlFor={`${ids}-qtitle`}>Title</label>
            <input
              {...fieldProps(error, TITLE_PATH, `${ids}-qtitle`, `${ids}-qtitle-hint`)}
              autoComplete="off"
              maxLength={LIMITS.title}
              value={draft.title}
              onChange={(e) => onChange({ ...draft, title: e.target.value })}
            />
            <p className="hint" id={`${ids}-qtitle-hint`}>
              What patients see above the questions, e.g. Before your vaccination
            </p>
            <FieldError error={error} path={TITLE_PATH} id={`${ids}-qtitle`} />
          </div>
          <ol className="cards">
            {draft.questions.map((q, i) => (
              <li key={q.key}>
                <QuestionFields
                  q={q}
                  index={i}
                  count={draft.questions.length}
                  idOf={(part) => qid(q, part)}
                  error={error}
                  onChange={(change) => setQuestion(i, change)}
                  onMove={(by) => move(i, by)}
                  onRemove={() => remove(i)}
                />
              </li>
            ))}
          </ol>
          <FieldError error={error} path={QUESTIONS_PATH} id={`${ids}-questions`} exact />
          <p className="visually-hidden" role="status">
            {announcement}
          </p>
          <div>
            <button type="button" id={`${ids}-add-question`} onClick={add} disabled={draft.questions.length >= LIMITS.questions}>
              Add a question
            </button>
          </div>
        </div>
      </fieldset>
      <fieldset>
        <legend>Pre-screening time limits</legend>
        <div className="row">
          {TIME_LIMITS.map((limit) => (
            <div className="field short" key={limit}>
              <label htmlFor={`${ids}-${limit}`}>{limitTexts[limit].label}</label>
              <input
                {...fieldProps(error, `prescreening.${limit}`, `${ids}-${limit}`, `${ids}-${limit}-hint`)}
                type="number"
                inputMode="numeric"
                min={LIMITS.timeLimits[limit].min}
                max={LIMITS.timeLimits[limit].max}
                value={draft[limit]}
                onChange={(e) => onChange({ ...draft, [limit]: e.target.value })}
              />
              <p className="hint" id={`${ids}-${limit}-hint`}>
                {limitTexts[limit].hint}
              </p>
              <FieldError error={error} path={`prescreening.${limit}`} id={`${ids}-${limit}`} />
            </div>
          ))}
        </div>
      </fieldset>
    </>
  );
}

/** "Copy the questionnaire of [type] [Copy]": replaces the draft with a copy of that type's. */
function CopyFrom(props: { ids: string; sources: readonly AdminType[]; onCopy: (source: AdminType) => void }) {
  const [from, setFrom] = useState("");
  const source = props.sources.find((t) => t.id === from);
  return (
    <div className="row">
      <div className="field">
        <label htmlFor={`${props.ids}-from`}>Copy the questionnaire of</label>
        <select id={`${props.ids}-from`} aria-describedby={`${props.ids}-from-hint`} value={from} onChange={(e) => setFrom(e.target.value)}>
          <option value="">Choose a visit type</option>
          {props.sources.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        <p className="hint" id={`${props.ids}-from-hint`}>
          Its questions and time limits replace those below.
        </p>
      </div>
      <button type="button" disabled={!source} onClick={() => source && props.onCopy(source)}>
        Copy
      </button>
    </div>
  );
}

function QuestionFields(props: {
  q: QuestionDraft;
  index: number;
  count: number;
  idOf: (part: string) => string;
  error: unknown;
  onChange: (change: Partial<QuestionDraft>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}) {
  const { q, index, idOf, error } = props;
  const n = index + 1;
  const field = (name: "id" | "text" | "kind" | "options" | "maxLength" | "min" | "max", hint?: boolean) =>
    fieldProps(error, questionPath(index, name), idOf(name), hint ? `${idOf(name)}-hint` : undefined);
  const errorOf = (name: "id" | "text" | "kind" | "options" | "maxLength" | "min" | "max") => (
    <FieldError error={error} path={questionPath(index, name)} id={idOf(name)} />
  );
  return (
    <fieldset data-question={n}>
      <legend>Question {n}</legend>
      <div className="stack">
        <div className="row">
          <div className="field grow">
            <label htmlFor={idOf("text")}>Question text</label>
            <input {...field("text")} autoComplete="off" maxLength={LIMITS.text} value={q.text} onChange={(e) => props.onChange({ text: e.target.value })} />
            {errorOf("text")}
          </div>
          <div className="field short">
            <label htmlFor={idOf("kind")}>Answer</label>
            <select {...field("kind")} value={q.kind} onChange={(e) => props.onChange({ kind: e.target.value as QuestionKind })}>
              {QUESTION_KINDS.map((k) => (
                <option key={k.kind} value={k.kind}>
                  {k.label}
                </option>
              ))}
            </select>
            {errorOf("kind")}
          </div>
          <div className="field short">
            <label htmlFor={idOf("id")}>Question id</label>
            <input {...field("id", true)} autoComplete="off" value={q.id} onChange={(e) => props.onChange({ id: e.target.value })} />
            <p className="hint" id={`${idOf("id")}-hint`}>
              Names the answer for nurses, e.g. fever
            </p>
            {errorOf("id")}
          </div>
        </div>
        {q.kind === "choice" ? (
          <div className="field">
            <label htmlFor={idOf("options")}>Options, one per line</label>
            <textarea {...field("options", true)} rows={3} value={q.options} onChange={(e) => props.onChange({ options: e.target.value })} />
            <p className="hint" id={`${idOf("options")}-hint`}>
              {LIMITS.options.min} to {LIMITS.options.max}; the patient picks one.
            </p>
            {errorOf("options")}
          </div>
        ) : null}
        {q.kind === "text" ? (
          <div className="field short">
            <label htmlFor={idOf("maxLength")}>Longest answer (characters)</label>
            <input
              {...field("maxLength")}
              type="number"
              inputMode="numeric"
              min={LIMITS.maxLength.min}
              max={LIMITS.maxLength.max}
              value={q.maxLength}
              onChange={(e) => props.onChange({ maxLength: e.target.value })}
            />
            {errorOf("maxLength")}
          </div>
        ) : null}
        {q.kind === "number" ? (
          <div className="row">
            {(["min", "max"] as const).map((end) => (
              <div className="field short" key={end}>
                <label htmlFor={idOf(end)}>
                  {end === "min" ? "Smallest" : "Largest"} answer <span className="required">(optional)</span>
                </label>
                <input {...field(end)} type="number" step="any" value={q[end]} onChange={(e) => props.onChange({ [end]: e.target.value })} />
                {errorOf(end)}
              </div>
            ))}
          </div>
        ) : null}
        <label className="check">
          <input type="checkbox" checked={q.required} onChange={(e) => props.onChange({ required: e.target.checked })} /> An answer is required
        </label>
        <div className="row compact">
          <button type="button" id={idOf("up")} aria-label={`Move up, question ${n}`} disabled={index === 0} onClick={() => props.onMove(-1)}>
            Move up
          </button>
          <button type="button" id={idOf("down")} aria-label={`Move down, question ${n}`} disabled={index === props.count - 1} onClick={() => props.onMove(1)}>
            Move down
          </button>
          <button type="button" aria-label={`Remove, question ${n}`} onClick={props.onRemove}>
            Remove
          </button>
        </div>
      </div>
    </fieldset>
  );
}
