/**
 * Support helps a patient who calls: find them by e-mail, read their appointments (never their
 * pre-screening answers), and cancel one on their behalf — with a reason, which the API
 * requires of support and keeps in the appointment's history and audit trail. Every search and
 * every read is audited by the API. The e-mail stays out of the address (it is personal data).
 */
import { useId, useRef, useState } from "react";
import type { ResponseOf } from "../../api/client";
import { useCatalog } from "../../catalog";
import { ErrorNotice, Loading, Notice, Page, StatusBadge, useLoad } from "../../components/ui";
import { formatDateTime } from "../../lib/time";
import { useSession } from "../../session";

type Patient = ResponseOf<"GET /api/support/patients">["patients"][number];
type Appointment = ResponseOf<"GET /api/support/patients/{patientId}/appointments">["appointments"][number];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function Support() {
  const { call } = useSession();
  const ids = useId();
  const input = useRef<HTMLInputElement>(null);
  const [email, setEmail] = useState("");
  const [invalidEmail, setInvalidEmail] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [found, setFound] = useState<{ email: string; patients: Patient[] }>();
  const [patientId, setPatientId] = useState<string>();

  async function search() {
    const wanted = email.trim().toLowerCase();
    if (!EMAIL.test(wanted)) {
      setInvalidEmail("Enter the patient's e-mail address, e.g. name@example.com");
      input.current?.focus();
      return;
    }
    setInvalidEmail(undefined);
    setBusy(true);
    setError(undefined);
    try {
      const answer = await call("GET /api/support/patients", { query: { email: wanted } });
      setFound({ email: wanted, patients: answer.patients });
      setPatientId(answer.patients.length === 1 ? answer.patients[0]!.id : undefined);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Find a patient">
      <form
        className="stack search-form"
        noValidate
        role="search"
        aria-label="Find a patient by e-mail"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <div className="row">
          <div className="field grow">
            <label htmlFor={`${ids}-email`}>Patient's e-mail address</label>
            <input
              ref={input}
              id={`${ids}-email`}
              type="email"
              autoComplete="off"
              spellCheck={false}
              required
              aria-invalid={invalidEmail ? true : undefined}
              aria-describedby={`${ids}-email-hint${invalidEmail ? ` ${ids}-email-error` : ""}`}
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Searching…" : "Find"}
          </button>
        </div>
        {invalidEmail ? (
          <p className="field-error" id={`${ids}-email-error`}>
            {invalidEmail}
          </p>
        ) : null}
        <p className="hint" id={`${ids}-email-hint`}>
          Ask the caller for the e-mail they signed up with. Searches are recorded in the audit log.
        </p>
        <ErrorNotice error={error} />
      </form>

      <Notice>
        {found
          ? found.patients.length === 0
            ? `No patient signed up with ${found.email}.`
            : `${found.patients.length} patient${found.patients.length === 1 ? "" : "s"} found for ${found.email}.`
          : undefined}
      </Notice>
      {found && found.patients.length > 1 ? (
        <ul className="cards">
          {found.patients.map((p) => (
            <li key={p.id} className="card">
              {p.name} <span className="muted">({p.email})</span>{" "}
              <button type="button" aria-pressed={patientId === p.id} onClick={() => setPatientId(p.id)}>
                Show appointments
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {patientId ? <PatientAppointments key={patientId} patientId={patientId} /> : null}
    </Page>
  );
}

function PatientAppointments({ patientId }: { patientId: string }) {
  const { call } = useSession();
  const catalog = useCatalog();
  const first = useLoad((signal) => call("GET /api/support/patients/{patientId}/appointments", { path: { patientId }, query: { limit: 20 }, signal }), [patientId]);
  const [more, setMore] = useState<{ appointments: Appointment[]; nextCursor: string | null }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [cancelling, setCancelling] = useState<string>();
  const [done, setDone] = useState<string>();

  const patient = first.data?.patient;
  const cursor = more ? more.nextCursor : (first.data?.nextCursor ?? null);
  const all = [...(first.data?.appointments ?? []), ...(more?.appointments ?? [])];
  const now = Date.now();
  const upcoming = all.filter((a) => Date.parse(a.end) >= now && a.status !== "cancelled").sort((a, b) => a.start.localeCompare(b.start));
  const past = all.filter((a) => !upcoming.includes(a)).sort((a, b) => b.start.localeCompare(a.start));

  async function loadMore() {
    if (!cursor) return;
    setBusy(true);
    setError(undefined);
    try {
      const page = await call("GET /api/support/patients/{patientId}/appointments", { path: { patientId }, query: { limit: 20, cursor } });
      setMore({ appointments: [...(more?.appointments ?? []), ...page.appointments], nextCursor: page.nextCursor });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function cancelled(message: string) {
    setCancelling(undefined);
    setMore(undefined);
    await first.reload();
    setDone(message);
    // The form is gone: focus goes back to the list's heading, the notice says what happened.
    document.getElementById("support-patient")?.focus();
  }

  const row = (a: Appointment, canCancel: boolean) => {
    const when = formatDateTime(a.start, a.timeZone);
    return (
      <li key={a.id} className="card appointment" data-appointment={a.id}>
        <div className="appointment-head">
          <strong>{when}</strong> <span className="muted">({a.timeZone})</span> <StatusBadge status={a.status} />
        </div>
        <div className="muted">
          {catalog.typeName(a.typeId)} · {catalog.clinicName(a.clinicId)} · {a.doctor.name}
          {a.needsReschedule ? <strong> · Asked to choose a new time</strong> : null}
        </div>
        {a.cancelReason ? <div>Cancellation reason: {a.cancelReason}</div> : null}
        {canCancel ? (
          cancelling === a.id ? (
            <CancelForm appointment={a} when={when} onCancel={() => setCancelling(undefined)} onDone={(m) => void cancelled(m)} />
          ) : (
            <p>
              <button
                type="button"
                className="danger"
                onClick={() => {
                  setDone(undefined);
                  setCancelling(a.id);
                }}
              >
                Cancel for the patient<span className="visually-hidden">: the appointment on {when}</span>
              </button>
            </p>
          )
        ) : null}
      </li>
    );
  };

  return (
    <section aria-labelledby="support-patient">
      <h2 id="support-patient" tabIndex={-1}>{patient ? `${patient.name}'s appointments` : "Appointments"}</h2>
      {patient ? <p className="muted">{patient.email}</p> : null}
      <Notice kind="success">{done}</Notice>
      <ErrorNotice error={first.error} />
      {first.loading && !first.data ? <Loading what="the patient's appointments" /> : null}
      {first.data ? (
        <>
          <h3>Upcoming</h3>
          {upcoming.length ? <ul className="cards">{upcoming.map((a) => row(a, a.status === "booked" || a.status === "pending"))}</ul> : <p className="muted">None.</p>}
          <h3>Past and cancelled</h3>
          {past.length ? <ul className="cards">{past.map((a) => row(a, false))}</ul> : <p className="muted">None.</p>}
          <ErrorNotice error={error} />
          {cursor ? (
            <button type="button" onClick={() => void loadMore()} disabled={busy}>
              {busy ? "Loading…" : "Load more"}
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function CancelForm({ appointment, when, onCancel, onDone }: { appointment: Appointment; when: string; onCancel: () => void; onDone: (message: string) => void }) {
  const { call } = useSession();
  const ids = useId();
  const field = useRef<HTMLTextAreaElement>(null);
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [attemptKey] = useState(() => crypto.randomUUID());

  async function submit() {
    if (!reason.trim()) {
      setMissing(true);
      field.current?.focus();
      return;
    }
    setMissing(false);
    setBusy(true);
    setError(undefined);
    try {
      await call("POST /api/appointments/{id}/cancel", { path: { id: appointment.id }, body: { reason: reason.trim() }, idempotencyKey: attemptKey });
      onDone(`Cancelled the appointment on ${when}. The patient is told through their usual channels.`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="stack"
      noValidate
      aria-label={`Cancel the appointment on ${when}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="field">
        <label htmlFor={`${ids}-reason`}>Reason for cancelling (required)</label>
        <textarea
          ref={field}
          id={`${ids}-reason`}
          autoFocus
          required
          rows={2}
          maxLength={500}
          aria-invalid={missing || undefined}
          aria-describedby={`${ids}-reason-hint${missing ? ` ${ids}-reason-error` : ""}`}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <p className="hint" id={`${ids}-reason-hint`}>
          Kept in the appointment's history and the audit log, e.g. "Patient called: ill, will book again".
        </p>
        {missing ? (
          <p className="field-error" id={`${ids}-reason-error`}>
            Enter why the appointment is cancelled
          </p>
        ) : null}
      </div>
      <div className="row">
        <button type="submit" className="danger" disabled={busy}>
          {busy ? "Cancelling…" : "Cancel the appointment"}
        </button>
        <button type="button" onClick={onCancel}>
          Keep it
        </button>
      </div>
      <ErrorNotice error={error} />
    </form>
  );
}
