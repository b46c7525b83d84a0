/**
 * A doctor's day or week: working hours, approved leave, and each appointment with its patient
 * and status; check-in (from 2 h before), complete (optional notes reference) and no-show.
 * Times are in the doctor's clinic zone. Pushes for the clinic's appointments re-read the view.
 */
import { useId, useState } from "react";
import { ApiError, type ResponseOf } from "../../api/client";
import { useCatalog } from "../../catalog";
import { ErrorNotice, Loading, Notice, Page, StatusBadge, useLoad } from "../../components/ui";
import { addDays, dateIn, formatDay, formatTime, mondayOf } from "../../lib/time";
import { usePushes } from "../../realtime";
import { useSession } from "../../session";

type Schedule = ResponseOf<"GET /api/staff/schedule">;
type Visit = Schedule["days"][number]["appointments"][number];

export function SchedulePage() {
  const { call } = useSession();
  const ids = useId();
  const [view, setView] = useState<"day" | "week">("day");
  const [date, setDate] = useState(() => dateIn(Date.now(), Intl.DateTimeFormat().resolvedOptions().timeZone));
  const [notice, setNotice] = useState<string>();
  const from = view === "day" ? date : mondayOf(date);
  const to = view === "day" ? date : addDays(from, 6);
  const schedule = useLoad((signal) => call("GET /api/staff/schedule", { query: { from, to }, signal }), [from, to, call]);
  usePushes((push) => {
    if (push.type === "appointment") void schedule.reload();
  });
  const step = view === "day" ? 1 : 7;
  const s = schedule.data;

  return (
    <Page title={s ? `Schedule of ${s.doctor.name}` : "My schedule"}>
      <div className="row">
        <div className="field">
          <label htmlFor={`${ids}-view`}>Show</label>
          <select id={`${ids}-view`} value={view} onChange={(e) => setView(e.target.value as "day" | "week")}>
            <option value="day">One day</option>
            <option value="week">A week</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-date`}>{view === "day" ? "Day" : "Week of"}</label>
          <input id={`${ids}-date`} type="date" value={date} required onChange={(e) => e.target.value && setDate(e.target.value)} />
        </div>
        <button type="button" onClick={() => setDate(addDays(date, -step))}>
          Previous {view}
        </button>
        <button type="button" onClick={() => setDate(addDays(date, step))}>
          Next {view}
        </button>
      </div>
      {s ? <p className="muted">Times in the clinic's zone, {s.timeZone}.</p> : null}
      <Notice kind="success">{notice}</Notice>
      <ErrorNotice error={schedule.error} />
      {!s && schedule.loading ? <Loading what="the schedule" /> : null}
      {s
        ? s.days.map((day) => (
            <section key={day.date} aria-labelledby={`${ids}-${day.date}`} className="schedule-day">
              <h2 id={`${ids}-${day.date}`}>{formatDay(day.date)}</h2>
              <p className="muted">
                {day.available.length
                  ? `Working ${day.available.map((i) => `${i.localStart.slice(11, 16)}–${i.localEnd.slice(11, 16)}`).join(", ")}`
                  : "Not working"}
                {day.leave.length ? " · On approved leave" : ""}
              </p>
              {day.appointments.length === 0 ? (
                <p>No appointments.</p>
              ) : (
                <table className="table">
                  <caption className="visually-hidden">Appointments on {formatDay(day.date)}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Patient</th>
                      <th scope="col">Visit</th>
                      <th scope="col">Status</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {day.appointments.map((visit) => (
                      <VisitRow key={visit.id} visit={visit} timeZone={s.timeZone} onDone={(message) => void schedule.reload().then(() => setNotice(message))} />
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          ))
        : null}
    </Page>
  );
}

function VisitRow({ visit, timeZone, onDone }: { visit: Visit; timeZone: string; onDone: (message: string) => void }) {
  const { call } = useSession();
  const { typeName } = useCatalog();
  const ids = useId();
  const [completing, setCompleting] = useState(false);
  const [notesRef, setNotesRef] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const who = visit.patient.name ?? "the patient";
  const time = formatTime(visit.start, timeZone);

  async function act(action: "check-in" | "complete" | "no-show") {
    setBusy(true);
    setError(undefined);
    try {
      const path = { appointmentId: visit.id };
      const body = { version: visit.version, ...(action === "complete" && notesRef.trim() ? { notesRef: notesRef.trim() } : {}) };
      if (action === "check-in") await call("POST /api/staff/appointments/{appointmentId}/check-in", { path, body });
      else if (action === "complete") await call("POST /api/staff/appointments/{appointmentId}/complete", { path, body });
      else await call("POST /api/staff/appointments/{appointmentId}/no-show", { path, body });
      setCompleting(false);
      onDone(`${who} at ${time}: ${action === "check-in" ? "checked in" : action === "complete" ? "visit completed" : "marked as no-show"}.`);
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError && caught.status === 409) onDone("The appointment changed meanwhile; the schedule was refreshed.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr data-appointment={visit.id}>
      <td>{time}</td>
      <td>{visit.patient.name ?? visit.patient.id}</td>
      <td>
        {typeName(visit.typeId)}
        {visit.reason ? <div className="muted">{visit.reason}</div> : null}
      </td>
      <td>
        <StatusBadge status={visit.status} />
      </td>
      <td>
        <div className="row compact">
          {visit.status === "booked" ? (
            <>
              <button type="button" disabled={busy} onClick={() => void act("check-in")} aria-label={`Check in ${who}, ${time}`}>
                Check in
              </button>
              <button type="button" disabled={busy} onClick={() => void act("no-show")} aria-label={`Mark ${who}, ${time}, as no-show`}>
                No-show
              </button>
            </>
          ) : null}
          {visit.status === "arrived" && !completing ? (
            <button type="button" disabled={busy} onClick={() => setCompleting(true)} aria-label={`Complete the visit of ${who}, ${time}`}>
              Complete
            </button>
          ) : null}
        </div>
        {completing ? (
          <form
            className="row compact"
            onSubmit={(e) => {
              e.preventDefault();
              void act("complete");
            }}
          >
            <div className="field">
              <label htmlFor={`${ids}-notes`}>Notes reference (optional)</label>
              <input id={`${ids}-notes`} value={notesRef} maxLength={200} onChange={(e) => setNotesRef(e.target.value)} />
            </div>
            <button type="submit" className="primary" disabled={busy}>
              Complete visit
            </button>
          </form>
        ) : null}
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}
