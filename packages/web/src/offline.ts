/**
 * The patient's upcoming appointments kept on this device, so they can be read with no
 * network (the service worker opens the app itself). Written after every successful read of
 * the list, shown — marked as possibly out of date, with the time it was saved — only when
 * Carebook cannot be reached; removed at sign-out. localStorage, not sessionStorage: reopening
 * the installed app offline starts a new session.
 */
import type { ResponseOf } from "./api/client";

type Appointment = ResponseOf<"GET /api/appointments">["appointments"][number];

export interface OfflineAppointment {
  id: string;
  status: string;
  start: string;
  end: string;
  timeZone: string;
  typeName: string;
  clinicName: string;
  doctorName: string;
}

export interface OfflineSnapshot {
  patientId: string;
  patientName: string;
  savedAt: string;
  appointments: OfflineAppointment[];
}

const KEY = "carebook.offline.appointments";

export function saveSnapshot(
  patient: { id: string; name: string },
  appointments: Appointment[],
  names: { typeName: (id: string) => string; clinicName: (id: string) => string },
) {
  const now = Date.now();
  const snapshot: OfflineSnapshot = {
    patientId: patient.id,
    patientName: patient.name,
    savedAt: new Date(now).toISOString(),
    appointments: appointments
      .filter((a) => a.status !== "cancelled" && Date.parse(a.end) >= now)
      .sort((a, b) => a.start.localeCompare(b.start))
      .map((a) => ({
        id: a.id,
        status: a.status,
        start: a.start,
        end: a.end,
        timeZone: a.timeZone,
        typeName: names.typeName(a.typeId),
        clinicName: names.clinicName(a.clinicId),
        doctorName: a.doctor.name,
      })),
  };
  try {
    localStorage.setItem(KEY, JSON.stringify(snapshot));
  } catch {
    // Storage full or disabled: offline viewing is a convenience, never a failure.
  }
}

export function loadSnapshot(): OfflineSnapshot | undefined {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as OfflineSnapshot) : undefined;
  } catch {
    return undefined;
  }
}

export function clearSnapshot() {
  localStorage.removeItem(KEY);
}
