/**
 * The future appointments a catalog change would strand: those of a clinic being closed, of a
 * doctor leaving (or leaving a clinic, or losing a skill their bookings need).
 */
import { holdsTime } from "../appointment/context";
import type { Appointment, Db } from "../entities";
import { toUtcIso } from "../schedule/slots";

/** An appointment still ahead that expects the patient (booked, or a hold not lapsed). */
export interface AffectedBooking {
  id: string;
  start: string;
  clinicId: string;
  doctorId: string;
  typeId: string;
  status: Appointment["status"];
}

/** How many of them an error or a response lists (the count is always complete). */
export const LISTED_BOOKINGS = 100;

const attributes = ["appointmentId", "start", "clinicId", "doctorId", "typeId", "status", "holdExpiresAt"] as const;
type Row = Pick<Appointment, (typeof attributes)[number]>;

function affected(rows: Row[], now: number): AffectedBooking[] {
  const nowIso = toUtcIso(now);
  return rows
    .filter((a) => a.start > nowIso && holdsTime(a, now))
    .map((a) => ({ id: a.appointmentId, start: a.start, clinicId: a.clinicId, doctorId: a.doctorId, typeId: a.typeId, status: a.status }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** A doctor's future bookings (their own index, by start). */
export async function futureBookingsOfDoctor(db: Db, doctorId: string, now: number): Promise<AffectedBooking[]> {
  const { data } = await db.appointment.query
    .byDoctor({ doctorId })
    .gte({ start: toUtcIso(now) })
    .go({ pages: "all", attributes: [...attributes] });
  return affected(data, now);
}

/** A clinic's future bookings: the region's appointments ahead, those of the clinic kept (there
 * is no index by clinic and time; this is a rare, deliberate admin action). */
export async function futureBookingsOfClinic(db: Db, regionId: string, clinicId: string, now: number): Promise<AffectedBooking[]> {
  const { data } = await db.appointment.query
    .byRegionTime({ regionId })
    .gte({ start: toUtcIso(now) })
    .where((attr, op) => `${op.eq(attr.clinicId, clinicId)} AND (${op.eq(attr.status, "booked")} OR ${op.eq(attr.status, "pending")} OR ${op.eq(attr.status, "arrived")})`)
    .go({ pages: "all", attributes: [...attributes] });
  return affected(data, now);
}

/** As an error's details or a response lists them: the count, and the first ones by start. */
export function bookingsSummary(bookings: AffectedBooking[]) {
  return {
    count: bookings.length,
    appointments: bookings.slice(0, LISTED_BOOKINGS).map(({ id, start, clinicId, status }) => ({ id, start, clinicId, status })),
  };
}
