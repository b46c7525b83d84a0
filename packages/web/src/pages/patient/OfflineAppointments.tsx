/** The saved copy of the patient's upcoming appointments (offline.ts), clearly marked as possibly stale. */
import { Link } from "react-router";
import { Page, StatusBadge } from "../../components/ui";
import { browserTimeZone, formatDateTime } from "../../lib/time";
import { loadSnapshot, type OfflineSnapshot } from "../../offline";

export function OfflineNotice({ snapshot }: { snapshot: OfflineSnapshot }) {
  return (
    <div className="notice notice-warning" role="status">
      <strong>You are offline.</strong> These are your upcoming appointments as saved on this device on{" "}
      {formatDateTime(snapshot.savedAt, browserTimeZone())}. They may have changed since; reconnect to see the latest and to make changes.
    </div>
  );
}

export function OfflineList({ snapshot }: { snapshot: OfflineSnapshot }) {
  if (snapshot.appointments.length === 0) return <p>No upcoming appointments were saved.</p>;
  return (
    <ul className="cards">
      {snapshot.appointments.map((a) => (
        <li key={a.id} className="card appointment" data-appointment={a.id}>
          <strong>{formatDateTime(a.start, a.timeZone)}</strong> <StatusBadge status={a.status} />
          <div className="muted">
            {a.typeName} · {a.clinicName} · {a.doctorName} · times in {a.timeZone}
          </div>
        </li>
      ))}
    </ul>
  );
}

/** /offline: readable without a session (reopening the installed app with no network). */
export function OfflineAppointments() {
  const snapshot = loadSnapshot();
  return (
    <Page title="Saved appointments">
      {snapshot ? (
        <>
          <OfflineNotice snapshot={snapshot} />
          <p>Saved for {snapshot.patientName}.</p>
          <OfflineList snapshot={snapshot} />
        </>
      ) : (
        <p>No appointments are saved on this device.</p>
      )}
      <p>
        <Link to="/signin">Sign in</Link>
      </p>
    </Page>
  );
}
