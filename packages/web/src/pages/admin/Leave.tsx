/**
 * Leave of the administrator's clinics' staff, from today on: requests waiting for a decision
 * (approve or reject, with an optional note), and those decided — an approved doctor's leave
 * with its outcome: the appointments moved to other doctors, and those whose patients are asked
 * to choose a new time. The API answers a page at a time, by start; "Show more" adds the next
 * page to both lists (a decision reloads from the first page).
 */
import { useId, useState } from "react";
import { Link } from "react-router";
import type { ResponseOf } from "../../api/client";
import { ShowMore, usePaged } from "../../components/paged";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { formatDateTime, formatDay } from "../../lib/time";
import { useSession } from "../../session";
import { useAdminClinics } from "./shared";

type Leave = ResponseOf<"GET /api/staff/leave">["items"][number];
type Outcome = NonNullable<Leave["outcome"]>;

const statusText: Record<string, string> = { requested: "Waiting", approved: "Approved", rejected: "Rejected", cancelled: "Withdrawn" };

/** "Monday 3 May 2027 – Friday 7 May 2027" for whole days; instants in the leave's zone. */
function period(l: Leave): string {
  const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
  const from = isDate(l.from) ? formatDay(l.from) : formatDateTime(l.from, l.timeZone);
  const to = isDate(l.to) ? formatDay(l.to) : formatDateTime(l.to, l.timeZone);
  return from === to ? from : `${from} – ${to}`;
}

export function LeaveRequests() {
  const { call } = useSession();
  const clinics = useAdminClinics();
  const paged = usePaged((cursor, signal) => call("GET /api/staff/leave", { query: { cursor }, signal }), [call]);
  const leave = paged.first;
  const doctors = useLoad((signal) => call("GET /api/admin/doctors", { query: {}, signal }), [call]);
  const [decided, setDecided] = useState<string>();

  const items = paged.items;
  // With more pages to come, a count is of those shown so far.
  const soFar = paged.cursor ? " so far" : "";
  const waiting = items.filter((l) => l.status === "requested").sort((a, b) => a.start.localeCompare(b.start));
  const done = items.filter((l) => l.status !== "requested").sort((a, b) => (b.decidedAt ?? "").localeCompare(a.decidedAt ?? ""));
  const doctorName = (id: string) => doctors.data?.doctors.find((d) => d.id === id)?.name ?? id;

  return (
    <Page title="Leave requests">
      <Notice kind="success">{decided}</Notice>
      <ErrorNotice error={leave.error} />
      {leave.loading && !leave.data ? <Loading what="leave requests" /> : null}
      {leave.data ? (
        <>
          <section aria-labelledby="leave-waiting">
            <h2 id="leave-waiting">
              Waiting for a decision ({waiting.length}
              {soFar})
            </h2>
            {waiting.length === 0 ? (
              <p className="muted">No requests are waiting.</p>
            ) : (
              <ul className="cards">
                {waiting.map((l) => (
                  <li key={l.id} className="card" data-leave={l.id}>
                    <LeaveSummary leave={l} clinicName={clinics.clinicName} />
                    <Decide
                      leave={l}
                      onDecided={(answer) => {
                        setDecided(outcomeSentence(answer));
                        // The card is gone: focus goes to where the decision now shows.
                        void leave.reload().then(() => document.getElementById("leave-decided")?.focus());
                      }}
                    />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="leave-decided">
            <h2 id="leave-decided" tabIndex={-1}>
              Decided
            </h2>
            {done.length === 0 ? (
              <p className="muted">{paged.cursor ? "None among those shown so far." : "None from today on."}</p>
            ) : (
              <ul className="cards">
                {done.map((l) => (
                  <li key={l.id} className="card" data-leave={l.id}>
                    <LeaveSummary leave={l} clinicName={clinics.clinicName} />
                    {l.decisionNote ? <p>Note: {l.decisionNote}</p> : null}
                    {l.outcome ? <OutcomeList outcome={l.outcome} timeZone={l.timeZone} doctorName={doctorName} /> : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <ShowMore paged={paged} what="leave requests" />
        </>
      ) : null}
    </Page>
  );
}

function LeaveSummary({ leave: l, clinicName }: { leave: Leave; clinicName: (id: string) => string }) {
  return (
    <>
      <h3>
        {l.staff.name} <span className="muted">({l.staff.role})</span>{" "}
        <span className={`badge badge-leave-${l.status}`}>{statusText[l.status] ?? l.status}</span>
      </h3>
      <dl className="details">
        <dt>When</dt>
        <dd>
          {period(l)} <span className="muted">({l.timeZone})</span>
        </dd>
        <dt>Reason</dt>
        <dd>{l.reason}</dd>
        <dt>Clinics</dt>
        <dd>{l.clinicIds.map(clinicName).join(", ")}</dd>
        <dt>Asked</dt>
        <dd>{formatDateTime(l.requestedAt, l.timeZone)}</dd>
        {l.decidedAt ? (
          <>
            <dt>Decided</dt>
            <dd>{formatDateTime(l.decidedAt, l.timeZone)}</dd>
          </>
        ) : null}
      </dl>
    </>
  );
}

function outcomeSentence(l: Leave): string {
  if (l.status === "rejected") return `Rejected the leave of ${l.staff.name}.`;
  const o = l.outcome;
  if (!o || (o.reassigned.length === 0 && o.needsReschedule.length === 0)) return `Approved the leave of ${l.staff.name}. No appointments were affected.`;
  return `Approved the leave of ${l.staff.name}: ${o.reassigned.length} appointment(s) re-assigned to other doctors, ${o.needsReschedule.length} patient(s) asked to choose a new time.`;
}

function OutcomeList({ outcome, timeZone, doctorName }: { outcome: Outcome; timeZone: string; doctorName: (id: string) => string }) {
  if (outcome.reassigned.length === 0 && outcome.needsReschedule.length === 0) return <p className="muted">No appointments were affected.</p>;
  return (
    <div className="outcome">
      {outcome.reassigned.length ? (
        <>
          <h4>Re-assigned to other doctors ({outcome.reassigned.length})</h4>
          <ul className="plain-list">
            {outcome.reassigned.map((r) => (
              <li key={r.appointmentId}>
                {formatDateTime(r.start, timeZone)} → {doctorName(r.toDoctorId)} ·{" "}
                <Link to={`/admin/audit?appointmentId=${encodeURIComponent(r.appointmentId)}`}>audit trail</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {outcome.needsReschedule.length ? (
        <>
          <h4>Patients asked to choose a new time ({outcome.needsReschedule.length})</h4>
          <ul className="plain-list">
            {outcome.needsReschedule.map((r) => (
              <li key={r.appointmentId}>
                {formatDateTime(r.start, timeZone)}: nobody else was free; {r.offers.length} nearest free time(s) offered ·{" "}
                <Link to={`/admin/audit?appointmentId=${encodeURIComponent(r.appointmentId)}`}>audit trail</Link>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

function Decide({ leave, onDecided }: { leave: Leave; onDecided: (answer: Leave) => void }) {
  const { call } = useSession();
  const ids = useId();
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState<"approve" | "reject">();
  const [error, setError] = useState<unknown>();

  async function decide(decision: "approve" | "reject") {
    setBusy(decision);
    setError(undefined);
    try {
      const answer = await call("POST /api/admin/leave/{leaveId}/decision", {
        path: { leaveId: leave.id },
        body: { decision, ...(note.trim() ? { note: note.trim() } : {}) },
      });
      onDecided(answer);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <form
      className="stack"
      aria-label={`Decide the leave of ${leave.staff.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void decide("approve");
      }}
    >
      <div className="field">
        <label htmlFor={`${ids}-note`}>
          Note to {leave.staff.name} <span className="required">(optional)</span>
        </label>
        <textarea id={`${ids}-note`} rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      </div>
      {leave.staff.role === "doctor" ? (
        <p className="hint">Approving moves their appointments in this time to other free doctors; where nobody is free, the patients are asked to choose a new time.</p>
      ) : null}
      <div className="row">
        <button type="submit" className="primary" disabled={busy !== undefined}>
          {busy === "approve" ? "Approving…" : "Approve"}
        </button>
        <button type="button" className="danger" disabled={busy !== undefined} onClick={() => void decide("reject")}>
          {busy === "reject" ? "Rejecting…" : "Reject"}
        </button>
      </div>
      <ErrorNotice error={error} />
    </form>
  );
}
