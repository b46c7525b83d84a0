/**
 * One appointment: what, where, when (clinic time), who and why that doctor; the pre-screening
 * questionnaire while it waits for answers; reschedule, cancel, and the calendar file. Status
 * changes pushed over the WebSocket (a nurse's decision, a re-assignment) show without reload.
 */
import { useId, useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { appointmentIcs } from "@carebook/core/notifications/ics";
import { ApiError, type ResponseOf } from "../../api/client";
import { useCatalog } from "../../catalog";
import { SlotPicker, type Slot } from "../../components/SlotPicker";
import { ErrorNotice, Loading, Notice, Page, StatusBadge, statusLabel, useLoad } from "../../components/ui";
import { dateIn, formatDateTime } from "../../lib/time";
import { usePushes } from "../../realtime";
import { useSession } from "../../session";
import { Questionnaire } from "./Questionnaire";

type Appointment = ResponseOf<"GET /api/appointments/{id}">;

export function AppointmentDetail() {
  const { id = "" } = useParams();
  const { call } = useSession();
  const location = useLocation();
  const catalog = useCatalog();
  const appointment = useLoad((signal) => call("GET /api/appointments/{id}", { path: { id }, signal }), [id, call]);
  const [announcement, setAnnouncement] = useState<string | undefined>(
    (location.state as { justBooked?: boolean } | null)?.justBooked ? "justBooked" : undefined,
  );

  usePushes((push) => {
    if (push.type !== "appointment" || push.appointmentId !== id) return;
    const before = appointment.data;
    void appointment.reload().then((after) => {
      if (!after || !before) return;
      if (after.status !== before.status) setAnnouncement(`Status updated: ${statusLabel(after.status)}`);
      else if (after.start !== before.start || after.doctor.id !== before.doctor.id) setAnnouncement("This appointment was changed");
    });
  });

  const a = appointment.data;
  const clinic = a ? catalog.clinic(a.clinicId) : undefined;
  const title = a ? `${catalog.typeName(a.typeId)}, ${formatDateTime(a.start, a.timeZone)}` : "Appointment";

  return (
    <Page title={title}>
      <p>
        <Link to="/appointments">← All my appointments</Link>
      </p>
      <ErrorNotice error={appointment.error} />
      {appointment.loading && !a ? <Loading what="the appointment" /> : null}
      <Notice kind="success">
        {a && announcement === "justBooked"
          ? a.status === "pending"
            ? `Held for you with ${a.doctor.name}. Please answer the questions below so a nurse can confirm it.`
            : `Booked: ${a.doctor.name} will see you on ${formatDateTime(a.start, a.timeZone)} (clinic time).`
          : announcement}
      </Notice>
      {a ? (
        <>
          <dl className="details">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={a.status} />
              {a.holdExpiresAt ? <span className="muted"> (held until {formatDateTime(a.holdExpiresAt, a.timeZone)})</span> : null}
            </dd>
            <dt>When</dt>
            <dd>
              {formatDateTime(a.start, a.timeZone)} – {formatDateTime(a.end, a.timeZone).split(", ").pop()} ({a.timeZone})
            </dd>
            <dt>Where</dt>
            <dd>
              {clinic?.name ?? a.clinicId}
              {clinic?.address ? <span className="muted">, {addressLine(clinic.address)}</span> : null}
            </dd>
            <dt>Doctor</dt>
            <dd>
              {a.doctor.name} <span className="muted">({a.assignment.explanation})</span>
            </dd>
            {a.reason ? (
              <>
                <dt>Reason</dt>
                <dd>{a.reason}</dd>
              </>
            ) : null}
            {a.cancelReason ? (
              <>
                <dt>Cancellation reason</dt>
                <dd>{a.cancelReason}</dd>
              </>
            ) : null}
          </dl>
          {a.needsReschedule ? (
            <Notice kind="info">Your doctor can no longer see you at this time and no one else is free. Please choose a new time below.</Notice>
          ) : null}
          {a.status === "pending" ? <Questionnaire appointmentId={a.id} onSubmitted={() => void appointment.reload()} /> : null}
          {a.status === "booked" || a.status === "pending" ? (
            <Actions appointment={a} onChanged={(message) => void appointment.reload().then(() => setAnnouncement(message))} />
          ) : null}
          {a.status !== "cancelled" ? <IcsLink appointment={a} clinicName={clinic?.name} typeName={catalog.typeName(a.typeId)} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function addressLine(address: { line1: string; city: string; postcode: string }): string {
  return `${address.line1}, ${address.postcode} ${address.city}`;
}

function IcsLink({ appointment: a, clinicName, typeName }: { appointment: Appointment; clinicName?: string; typeName: string }) {
  function download() {
    const text = appointmentIcs({
      uid: `${a.id}@carebook`,
      sequence: a.version,
      method: "REQUEST",
      start: a.start,
      end: a.end,
      summary: `${typeName} — Carebook`,
      description: `${typeName} with ${a.doctor.name}`,
      location: clinicName,
    });
    const url = URL.createObjectURL(new Blob([text], { type: "text/calendar" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `carebook-${a.id}.ics`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  return (
    <p>
      <button type="button" onClick={download}>
        Add to my calendar (.ics)
      </button>
    </p>
  );
}

function Actions({ appointment: a, onChanged }: { appointment: Appointment; onChanged: (message: string) => void }) {
  const { call } = useSession();
  const ids = useId();
  const [mode, setMode] = useState<"none" | "reschedule" | "cancel">(a.needsReschedule ? "reschedule" : "none");
  const [slot, setSlot] = useState<Slot>();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function run(action: () => Promise<unknown>, message: string) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setMode("none");
      setSlot(undefined);
      onChanged(message);
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError && caught.code === "VERSION_CONFLICT") onChanged("This appointment changed meanwhile; it is shown as it is now.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${ids}-change`} className="card">
      <h2 id={`${ids}-change`}>Change this appointment</h2>
      {mode === "none" ? (
        <div className="row">
          <button type="button" onClick={() => setMode("reschedule")}>
            Choose another time
          </button>
          <button type="button" className="danger" onClick={() => setMode("cancel")}>
            Cancel appointment
          </button>
        </div>
      ) : null}
      {mode === "reschedule" ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            if (slot)
              void run(
                () => call("POST /api/appointments/{id}/reschedule", { path: { id: a.id }, body: { start: slot.start }, idempotencyKey: crypto.randomUUID() }),
                `Moved to ${formatDateTime(slot.start, a.timeZone)}.`,
              );
          }}
        >
          <SlotPicker
            typeId={a.typeId}
            clinicId={a.clinicId}
            timeZone={a.timeZone}
            selected={slot}
            onSelect={setSlot}
            initialDate={dateIn(a.start, a.timeZone)}
          />
          <div className="row">
            <button type="submit" className="primary" disabled={!slot || busy}>
              {slot ? `Move to ${formatDateTime(slot.start, a.timeZone)}` : "Choose a time above"}
            </button>
            <button type="button" onClick={() => setMode("none")}>
              Keep the current time
            </button>
          </div>
        </form>
      ) : null}
      {mode === "cancel" ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void run(
              () => call("POST /api/appointments/{id}/cancel", { path: { id: a.id }, body: reason.trim() ? { reason: reason.trim() } : {} }),
              "Cancelled. The time is free for someone else.",
            );
          }}
        >
          <div className="field">
            <label htmlFor={`${ids}-reason`}>Reason (optional)</label>
            <textarea id={`${ids}-reason`} value={reason} maxLength={500} rows={2} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="row">
            <button type="submit" className="danger" disabled={busy}>
              Cancel this appointment
            </button>
            <button type="button" onClick={() => setMode("none")}>
              Keep it
            </button>
          </div>
        </form>
      ) : null}
      <ErrorNotice error={error} />
    </section>
  );
}
