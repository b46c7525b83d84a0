/**
 * Pre-screening for a held appointment: the type's questionnaire (yes/no and choice as radio
 * groups in fieldsets, text and numbers as labelled inputs), then where the nurse's check stands.
 */
import { useId, useState } from "react";
import type { ResponseOf } from "../../api/client";
import { ErrorNotice, Loading, useLoad } from "../../components/ui";
import { formatDateTime, browserTimeZone } from "../../lib/time";
import { useSession } from "../../session";

type Prescreening = ResponseOf<"GET /api/appointments/{id}/prescreening">;
type Question = Prescreening["questionnaire"]["questions"][number];

const stateText: Record<string, string> = {
  "awaiting-decision": "Thank you. A nurse is checking your answers; you will be told as soon as they decide.",
  approved: "A nurse approved your answers: the appointment is confirmed.",
  rejected: "A nurse could not confirm this visit from your answers. The clinic will contact you.",
  released: "The hold on this time has ended.",
};

export function Questionnaire({ appointmentId, onSubmitted }: { appointmentId: string; onSubmitted: () => void }) {
  const { call } = useSession();
  const ids = useId();
  const screening = useLoad((signal) => call("GET /api/appointments/{id}/prescreening", { path: { id: appointmentId }, signal }), [appointmentId]);
  const [answers, setAnswers] = useState<Record<string, unknown>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const p = screening.data;

  if (!p) return screening.error ? <ErrorNotice error={screening.error} /> : <Loading what="the questionnaire" />;
  if (p.state !== "awaiting-answers") {
    return (
      <section className="card" aria-labelledby={`${ids}-h`}>
        <h2 id={`${ids}-h`}>Pre-screening</h2>
        <p role="status">{stateText[p.state] ?? p.state}</p>
      </section>
    );
  }

  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      await call("POST /api/appointments/{id}/prescreening", { path: { id: appointmentId }, body: { answers } });
      await screening.reload();
      onSubmitted();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const set = (id: string, value: unknown) => setAnswers((current) => ({ ...current, [id]: value }));
  return (
    <section className="card" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`}>{p.questionnaire.title}</h2>
      <p className="muted">Please answer by {formatDateTime(p.answerBy, browserTimeZone())}, or the time is released.</p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {p.questionnaire.questions.map((q) => (
          <QuestionField key={q.id} question={q} idPrefix={ids} value={answers[q.id]} onChange={(v) => set(q.id, v)} />
        ))}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Sending…" : "Send my answers"}
        </button>
        <ErrorNotice error={error} />
      </form>
    </section>
  );
}

function QuestionField(props: { question: Question; idPrefix: string; value: unknown; onChange: (value: unknown) => void }) {
  const { question: q, idPrefix, value, onChange } = props;
  const id = `${idPrefix}-${q.id}`;
  const required = q.required !== false;
  if (q.kind === "yes-no" || q.kind === "choice") {
    const options: Array<[string, unknown]> = q.kind === "yes-no" ? [["Yes", true], ["No", false]] : q.options.map((o) => [o, o]);
    return (
      <fieldset>
        <legend>
          {q.text}
          {required ? <span className="required"> (required)</span> : null}
        </legend>
        <div className="choices">
          {options.map(([label, optionValue]) => (
            <label key={String(optionValue)}>
              <input type="radio" name={id} required={required} checked={value === optionValue} onChange={() => onChange(optionValue)} />{" "}
              {label}
            </label>
          ))}
        </div>
      </fieldset>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>
        {q.text}
        {required ? <span className="required"> (required)</span> : null}
      </label>
      {q.kind === "number" ? (
        <input
          id={id}
          type="number"
          required={required}
          min={q.min}
          max={q.max}
          value={typeof value === "number" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      ) : (
        <textarea
          id={id}
          required={required}
          maxLength={q.maxLength}
          rows={2}
          value={typeof value === "string" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        />
      )}
    </div>
  );
}
