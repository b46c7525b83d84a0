/**
 * Appointments written straight into the runtime's table, for tests that need one at a time
 * booking cannot give (now, or in the past: the booking rules refuse those) or with a chosen
 * doctor (booking assigns one). They look exactly like booked appointments.
 */
import { randomUUID } from "node:crypto";
import { DateTime } from "luxon";
import type { Appointment } from "@carebook/core/entities/index";
import { testDb, LONDON, GENERAL } from "./harness";

const FIVE_MINUTES = 5 * 60_000;

export interface AppointmentFixture {
  patientId: string;
  doctorId?: string;
  doctorName?: string;
  clinicId?: string;
  /** epoch ms; default: started ten minutes ago (on the 5-minute grid). */
  start?: number;
  minutes?: number;
  status?: Appointment["status"];
}

export async function seedAppointment(f: AppointmentFixture): Promise<Appointment> {
  const start = f.start ?? Math.floor(Date.now() / FIVE_MINUTES) * FIVE_MINUTES - 2 * FIVE_MINUTES;
  const end = start + (f.minutes ?? 20) * 60_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  const now = iso(Date.now());
  const status = f.status ?? "booked";
  const appointment: Appointment = {
    appointmentId: randomUUID(),
    regionId: "eu-west",
    clinicId: f.clinicId ?? LONDON,
    typeId: GENERAL,
    patientId: f.patientId,
    doctorId: f.doctorId ?? "amelia-hughes",
    doctorName: f.doctorName ?? "Dr Amelia Hughes",
    status,
    start: iso(start),
    end: iso(end),
    blockStart: iso(start),
    blockEnd: iso(end),
    timeZone: (f.clinicId ?? LONDON) === LONDON ? "Europe/London" : "Europe/Amsterdam",
    assignment: { rule: "least-loaded", explanation: "test fixture", candidates: 1 },
    version: 1,
    history: [{ at: now, action: "booked", by: "test", status }],
    createdAt: now,
    updatedAt: now,
  };
  await testDb().appointment.create(appointment).go();
  return appointment;
}

/** The local date (yyyy-mm-dd) of an instant in a clinic's zone. */
export const localDate = (epochMs: number, zone = "Europe/London") => DateTime.fromMillis(epochMs, { zone }).toISODate()!;
