/**
 * Booking: a visit type and a clinic, a free time in the clinic's week, an optional reason,
 * then "Book". No doctor is chosen — Carebook assigns one and says why on the next page.
 */
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "../../api/client";
import { SlotPicker, type Slot } from "../../components/SlotPicker";
import { useCatalog } from "../../catalog";
import { ErrorNotice, Loading, Page } from "../../components/ui";
import { formatDateTime } from "../../lib/time";
import { useSession } from "../../session";

export function Book() {
  const { call } = useSession();
  const navigate = useNavigate();
  const ids = useId();
  const catalog = useCatalog();
  const [typeId, setTypeId] = useState("");
  const [clinicId, setClinicId] = useState("");
  const [slot, setSlot] = useState<Slot>();
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  // One key per attempt at one choice: a retry after a lost answer books once.
  const [attemptKey, setAttemptKey] = useState(() => crypto.randomUUID());

  const type = catalog.data?.types.find((t) => t.id === typeId);
  const clinic = catalog.data?.clinics.find((c) => c.id === clinicId);

  async function book() {
    if (!slot || !type || !clinic) return;
    setBusy(true);
    setError(undefined);
    try {
      const appointment = await call("POST /api/appointments", {
        body: { typeId: type.id, clinicId: clinic.id, start: slot.start, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        idempotencyKey: attemptKey,
      });
      navigate(`/appointments/${encodeURIComponent(appointment.id)}`, { state: { justBooked: true } });
    } catch (caught) {
      setError(caught);
      // A refused booking (taken meanwhile, overlap) is final for this key: the next try is new.
      if (caught instanceof ApiError && caught.status >= 400 && caught.status < 500) setAttemptKey(crypto.randomUUID());
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Book an appointment">
      <ErrorNotice error={catalog.error} />
      {catalog.loading && !catalog.data ? <Loading what="visit types and clinics" /> : null}
      {catalog.data ? (
        <form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void book();
          }}
        >
          <div className="row">
            <div className="field">
              <label htmlFor={`${ids}-type`}>Visit type</label>
              <select
                id={`${ids}-type`}
                value={typeId}
                onChange={(e) => {
                  setTypeId(e.target.value);
                  setSlot(undefined);
                }}
                required
              >
                <option value="">Choose a visit type</option>
                {catalog.data.types.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} ({t.durationMinutes} min)
                  </option>
                ))}
              </select>
              {type?.requiresPrescreening ? (
                <p className="hint">A nurse checks a short questionnaire before this visit is confirmed.</p>
              ) : null}
            </div>
            <div className="field">
              <label htmlFor={`${ids}-clinic`}>Clinic</label>
              <select
                id={`${ids}-clinic`}
                value={clinicId}
                onChange={(e) => {
                  setClinicId(e.target.value);
                  setSlot(undefined);
                }}
                required
              >
                <option value="">Choose a clinic</option>
                {catalog.data.clinics.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
          </div>

          {type && clinic ? (
            <SlotPicker typeId={type.id} clinicId={clinic.id} timeZone={clinic.timeZone} selected={slot} onSelect={setSlot} />
          ) : (
            <p className="muted">Choose a visit type and a clinic to see free times.</p>
          )}

          {slot && type && clinic ? (
            <section aria-labelledby={`${ids}-confirm`} className="card">
              <h2 id={`${ids}-confirm`}>Your choice</h2>
              <p>
                {type.name} at {clinic.name}, <strong>{formatDateTime(slot.start, clinic.timeZone)}</strong> (clinic time).
              </p>
              <div className="field">
                <label htmlFor={`${ids}-reason`}>Reason for the visit (optional)</label>
                <textarea id={`${ids}-reason`} value={reason} maxLength={500} rows={2} onChange={(e) => setReason(e.target.value)} />
              </div>
              <button type="submit" className="primary" disabled={busy}>
                {busy ? "Booking…" : "Book this time"}
              </button>
            </section>
          ) : null}
          <ErrorNotice error={error} />
        </form>
      ) : null}
    </Page>
  );
}
