/** The patient's appointments: upcoming first (soonest first), then past (latest first). */
import { useEffect } from "react";
import { Link } from "react-router";
import { ApiError, type ResponseOf } from "../../api/client";
import { useCatalog } from "../../catalog";
import { ErrorNotice, Loading, Page, StatusBadge, useLoad } from "../../components/ui";
import { formatDateTime } from "../../lib/time";
import { loadSnapshot, saveSnapshot } from "../../offline";
import { usePushes } from "../../realtime";
import { OfflineList, OfflineNotice } from "./OfflineAppointments";
import { useSession } from "../../session";

type Appointment = ResponseOf<"GET /api/appointments">["appointments"][number];

export function Appointments() {
  const { call, me } = useSession();
  const catalog = useCatalog();
  const list = useLoad((signal) => call("GET /api/appointments", { query: { limit: 100 }, signal }), [call]);
  useEffect(() => {
    if (me && list.data && catalog.data) saveSnapshot(me, list.data.appointments, catalog);
    // The catalog's helpers change with it; the data is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me, list.data, catalog.data]);
  // Carebook cannot be reached: this device's saved copy, marked as such.
  const offline = list.error instanceof ApiError && list.error.status === 0 ? loadSnapshot() : undefined;
  usePushes((push) => {
    if (push.type === "appointment") void list.reload();
  });
  const now = Date.now();
  const all = list.data?.appointments ?? [];
  const upcoming = all.filter((a) => Date.parse(a.end) >= now && a.status !== "cancelled").sort((a, b) => a.start.localeCompare(b.start));
  const past = all.filter((a) => !upcoming.includes(a)).sort((a, b) => b.start.localeCompare(a.start));

  return (
    <Page
      title="My appointments"
      actions={
        <Link className="button primary" to="/book">
          Book an appointment
        </Link>
      }
    >
      {offline && offline.patientId === me?.id ? (
        <>
          <OfflineNotice snapshot={offline} />
          <OfflineList snapshot={offline} />
        </>
      ) : (
        <ErrorNotice error={list.error} />
      )}
      {list.loading && !list.data ? <Loading what="your appointments" /> : null}
      {list.data ? (
        <>
          <section aria-labelledby="upcoming">
            <h2 id="upcoming">Upcoming</h2>
            {upcoming.length ? <AppointmentList items={upcoming} /> : <p className="muted">No upcoming appointments.</p>}
          </section>
          <section aria-labelledby="past">
            <h2 id="past">Past and cancelled</h2>
            {past.length ? <AppointmentList items={past} /> : <p className="muted">None yet.</p>}
          </section>
        </>
      ) : null}
    </Page>
  );
}

function AppointmentList({ items }: { items: Appointment[] }) {
  const { typeName, clinicName } = useCatalog();
  return (
    <ul className="cards" aria-live="polite">
      {items.map((a) => (
        <li key={a.id} className="card appointment" data-appointment={a.id}>
          <Link to={`/appointments/${encodeURIComponent(a.id)}`}>{formatDateTime(a.start, a.timeZone)}</Link>{" "}
          <StatusBadge status={a.status} />
          <div className="muted">
            {typeName(a.typeId)} · {clinicName(a.clinicId)} · {a.doctor.name}
            {a.needsReschedule ? <strong> · Please choose a new time</strong> : null}
          </div>
        </li>
      ))}
    </ul>
  );
}
