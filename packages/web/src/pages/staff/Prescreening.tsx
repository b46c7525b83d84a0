/**
 * The nurse's pre-screening queue of one clinic, oldest first, with each entry's SLA counting
 * down (a missed SLA is shown as such), and the review of one entry: the patient's answers,
 * then approve, reject or "called the patient" with a note. New and decided entries arrive
 * over the WebSocket (status pushes for the clinic's appointments).
 */
import { useEffect, useId, useState } from "react";
import { useCatalog } from "../../catalog";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { browserTimeZone, formatDateTime } from "../../lib/time";
import { usePushes } from "../../realtime";
import { useSession } from "../../session";

/** Re-renders every `ms` (for countdowns). */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function slaText(slaDueAt: string, now: number): string {
  const minutes = Math.round((Date.parse(slaDueAt) - now) / 60_000);
  if (minutes < 0) return `SLA missed ${-minutes} min ago`;
  if (minutes < 60) return `${minutes} min left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

export function PrescreeningQueue() {
  const { call, me } = useSession();
  const catalog = useCatalog();
  const ids = useId();
  const clinicIds = me?.kind === "staff" ? me.clinicIds : [];
  const [clinicId, setClinicId] = useState(clinicIds[0] ?? "");
  const [open, setOpen] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const now = useNow(30_000);
  const queue = useLoad(
    (signal) => (clinicId ? call("GET /api/staff/prescreening", { query: { clinicId }, signal }) : Promise.resolve({ items: [] })),
    [clinicId, call],
  );
  usePushes((push) => {
    if (push.type === "appointment" && (!push.clinicId || push.clinicId === clinicId)) void queue.reload();
  });
  const items = queue.data?.items ?? [];

  return (
    <Page title="Pre-screening queue">
      <div className="row">
        <div className="field">
          <label htmlFor={`${ids}-clinic`}>Clinic</label>
          <select id={`${ids}-clinic`} value={clinicId} onChange={(e) => setClinicId(e.target.value)}>
            {clinicIds.map((id) => (
              <option key={id} value={id}>
                {catalog.clinicName(id)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Notice kind="success">{notice}</Notice>
      <ErrorNotice error={queue.error} />
      {!queue.data && queue.loading ? <Loading what="the queue" /> : null}
      {queue.data && items.length === 0 ? <p>Nothing waiting. New requests appear here as they come in.</p> : null}
      {items.length ? (
        <table className="table">
          <caption className="visually-hidden">Pre-screening requests waiting for a decision</caption>
          <thead>
            <tr>
              <th scope="col">Patient</th>
              <th scope="col">Visit</th>
              <th scope="col">Appointment</th>
              <th scope="col">SLA</th>
              <th scope="col">Review</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => {
              const clinic = catalog.clinic(item.clinicId);
              const missed = Date.parse(item.slaDueAt) < now;
              return (
                <tr key={item.appointmentId} data-appointment={item.appointmentId}>
                  <td>{item.patient.name}</td>
                  <td>{catalog.typeName(item.typeId)}</td>
                  <td>{formatDateTime(item.start, clinic?.timeZone ?? browserTimeZone())}</td>
                  <td className={missed || item.escalated ? "overdue" : undefined}>
                    {slaText(item.slaDueAt, now)}
                    {item.escalated ? " · escalated" : ""}
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-expanded={open === item.appointmentId}
                      onClick={() => setOpen(open === item.appointmentId ? undefined : item.appointmentId)}
                    >
                      {open === item.appointmentId ? "Close" : `Review ${item.patient.name}`}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {open ? (
        <Review
          appointmentId={open}
          onDecided={(message) => {
            setOpen(undefined);
            setNotice(message);
            void queue.reload();
          }}
        />
      ) : null}
    </Page>
  );
}

const decisionText = { approve: "Approve", reject: "Reject", "call-patient": "I called the patient" } as const;
type Decision = keyof typeof decisionText;

function Review({ appointmentId, onDecided }: { appointmentId: string; onDecided: (message: string) => void }) {
  const { call } = useSession();
  const ids = useId();
  const detail = useLoad((signal) => call("GET /api/staff/prescreening/{appointmentId}", { path: { appointmentId }, signal }), [appointmentId]);
  const [decision, setDecision] = useState<Decision>("approve");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const d = detail.data;

  async function decide() {
    setBusy(true);
    setError(undefined);
    try {
      const answer = await call("POST /api/staff/prescreening/{appointmentId}/decision", {
        path: { appointmentId },
        body: { decision, ...(note.trim() ? { note: note.trim() } : {}) },
        idempotencyKey: crypto.randomUUID(),
      });
      onDecided(
        decision === "call-patient"
          ? "Call recorded; the request stays in the queue."
          : // The workflow confirms (or releases) the hold just after the decision is recorded.
            `${decision === "approve" ? "Approved" : "Rejected"}: the appointment is ${answer.appointmentStatus === "pending" ? "being updated" : `now ${answer.appointmentStatus}`}.`,
      );
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby={`${ids}-h`}>
      <h2 id={`${ids}-h`}>Review</h2>
      <ErrorNotice error={detail.error} />
      {!d ? (
        <Loading what="the answers" />
      ) : (
        <>
          <dl className="details">
            {d.questionnaire.questions.map((q) => (
              <div key={q.id} className="contents">
                <dt>{q.text}</dt>
                <dd>{formatAnswer(d.answers?.[q.id])}</dd>
              </div>
            ))}
          </dl>
          {d.calledPatientAt ? <p className="muted">Patient called {formatDateTime(d.calledPatientAt, browserTimeZone())}: {d.callNote}</p> : null}
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void decide();
            }}
          >
            <fieldset>
              <legend>Decision</legend>
              <div className="choices">
                {(Object.keys(decisionText) as Decision[]).map((value) => (
                  <label key={value}>
                    <input type="radio" name={`${ids}-decision`} checked={decision === value} onChange={() => setDecision(value)} /> {decisionText[value]}
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="field">
              <label htmlFor={`${ids}-note`}>Note{decision === "call-patient" ? " (what was agreed)" : " (optional)"}</label>
              <textarea id={`${ids}-note`} value={note} maxLength={1000} rows={2} onChange={(e) => setNote(e.target.value)} />
            </div>
            <button type="submit" className="primary" disabled={busy}>
              Record decision
            </button>
            <ErrorNotice error={error} />
          </form>
        </>
      )}
    </section>
  );
}

function formatAnswer(value: unknown): string {
  if (value === undefined || value === null || value === "") return "—";
  if (value === true) return "Yes";
  if (value === false) return "No";
  return String(value);
}
