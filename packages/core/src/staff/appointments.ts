/**
 * The staff's views of appointments: a doctor's own list and day/week schedule, a nurse's or
 * admin's list of their clinics' appointments.
 *
 * Days are the clinic's local days (an appointment at 00:30 in Amsterdam belongs to that
 * Amsterdam date, whatever the UTC date), so the query reads a UTC window widened by the largest
 * UTC offsets and keeps what falls on the asked local dates.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import { appointmentView } from "../api";
import { scheduleOf } from "../appointment/context";
import { appointmentStatuses, type Appointment, type Db, type Doctor } from "../entities";
import { NotFoundError } from "../errors";
import { availabilityOn, localDateOf, toLocalIso, toUtcIso } from "../schedule/slots";
import type { Absence } from "../schedule/types";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** The widest local range a staff list or schedule answers at once (a week view). */
export const MAX_STAFF_RANGE_DAYS = 7;

const id = z.string().trim().min(1).max(100);
const date = z.iso.date({ message: "expected a date yyyy-mm-dd" });

function rangeProblem(from: string, to: string | undefined): string | undefined {
  const end = to ?? from;
  if (end < from) return "`to` must not be before `from`";
  if ((Date.parse(end) - Date.parse(from)) / DAY + 1 > MAX_STAFF_RANGE_DAYS) return `at most ${MAX_STAFF_RANGE_DAYS} days at once`;
  return undefined;
}

const range = {
  /** First local date (yyyy-mm-dd). */
  from: date,
  /** Last local date, included; default `from`. */
  to: date.optional(),
};

export const staffAppointmentsQuerySchema = z
  .object({ ...range, status: z.enum(appointmentStatuses).optional(), clinicId: id.optional(), doctorId: id.optional() })
  .superRefine((q, ctx) => {
    const problem = rangeProblem(q.from, q.to);
    if (problem) ctx.addIssue({ code: "custom", path: ["to"], message: problem });
  });

export const staffScheduleQuerySchema = z
  .object({ ...range, doctorId: id.optional() })
  .superRefine((q, ctx) => {
    const problem = rangeProblem(q.from, q.to);
    if (problem) ctx.addIssue({ code: "custom", path: ["to"], message: problem });
  });

/** Which appointments a list may include: one doctor's own, or the caller's clinics (undefined = all). */
export type ListScope = { doctorId: string } | { clinicIds: readonly string[] | undefined };

/** An appointment as staff see it: the patient's name, the notes reference, and no secrets. */
export function staffAppointmentView(a: Appointment, patientName: string | undefined) {
  const { history: _history, ...view } = appointmentView(a);
  return { ...view, patient: { id: a.patientId, name: patientName ?? null }, notesRef: a.notesRef ?? null };
}
export type StaffAppointmentView = ReturnType<typeof staffAppointmentView>;

/** The UTC window that holds every instant of the local dates from..to, in any zone. */
function utcWindow(from: string, to: string) {
  return { start: toUtcIso(Date.parse(from) - 14 * HOUR), end: toUtcIso(Date.parse(to) + DAY + 14 * HOUR) };
}

async function patientNames(db: Db, patientIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(patientIds)];
  if (unique.length === 0) return new Map();
  const { data } = await db.patient.get(unique.map((patientId) => ({ patientId }))).go({ attributes: ["patientId", "name"] });
  return new Map(data.map((p) => [p.patientId, p.name]));
}

async function appointmentsInWindow(db: Db, regionId: string, scope: ListScope, from: string, to: string, doctorId?: string) {
  const w = utcWindow(from, to);
  const byDoctor = "doctorId" in scope ? scope.doctorId : doctorId;
  const { data } = byDoctor
    ? await db.appointment.query.byDoctor({ doctorId: byDoctor }).between({ start: w.start }, { start: w.end }).go({ pages: "all" })
    : await db.appointment.query.byRegionTime({ regionId }).between({ start: w.start }, { start: w.end }).go({ pages: "all" });
  return data.filter((a) => {
    const day = localDateOf(Date.parse(a.start), a.timeZone);
    if (day < from || day > to) return false;
    return "doctorId" in scope || !scope.clinicIds || scope.clinicIds.includes(a.clinicId);
  });
}

export async function listStaffAppointments(
  db: Db,
  input: { regionId: string; scope: ListScope; from: string; to?: string; status?: Appointment["status"]; clinicId?: string; doctorId?: string },
) {
  const to = input.to ?? input.from;
  const found = await appointmentsInWindow(db, input.regionId, input.scope, input.from, to, input.doctorId);
  const items = found.filter(
    (a) => (!input.status || a.status === input.status) && (!input.clinicId || a.clinicId === input.clinicId),
  );
  const names = await patientNames(db, items.map((a) => a.patientId));
  return { from: input.from, to, items: items.map((a) => staffAppointmentView(a, names.get(a.patientId))) };
}

/** The time zone of the first of these clinics that exists (staff days and leave dates are read
 * in it); UTC if none does. */
export async function zoneOfClinics(db: Db, clinicIds: readonly string[]): Promise<string> {
  for (const clinicId of clinicIds) {
    const { data } = await db.clinic.get({ clinicId }).go();
    if (data) return data.timeZone;
  }
  return "UTC";
}

/** A doctor, if the caller may see their schedule or hours (their own, or a doctor of one of
 * their clinics; `clinicIds` undefined = any); else 404. Read consistently: a change of hours
 * decides on it. */
export async function doctorInScope(db: Db, doctorId: string, clinicIds: readonly string[] | undefined): Promise<Doctor> {
  const { data } = await db.doctor.get({ doctorId }).go({ consistent: true });
  if (!data || (clinicIds && !data.clinicIds.some((c) => clinicIds.includes(c)))) throw new NotFoundError("Doctor", { doctorId });
  return data;
}

/**
 * A doctor's days: when they work (template and overrides, in their clinic's zone), their
 * approved leave, and the
 * appointments that hold their time. Cancelled appointments are left out; the rest are listed
 * whatever their status, so a day shows who came and who did not.
 */
export async function doctorSchedule(db: Db, input: { doctor: Doctor; from: string; to?: string }) {
  const to = input.to ?? input.from;
  const { doctor } = input;
  const timeZone = await zoneOfClinics(db, doctor.clinicIds);
  const appointments = (await appointmentsInWindow(db, doctor.regionId, { doctorId: doctor.doctorId }, input.from, to)).filter(
    (a) => a.status !== "cancelled",
  );
  const names = await patientNames(db, appointments.map((a) => a.patientId));
  const schedule = scheduleOf(doctor);
  const absences = (doctor.absences ?? []) as Absence[];
  const days: Array<{
    date: string;
    available: Array<{ start: string; end: string; localStart: string; localEnd: string }>;
    leave: Array<{ leaveId: string; start: string; end: string }>;
    appointments: ReturnType<typeof staffAppointmentView>[];
  }> = [];
  for (let d = DateTime.fromISO(input.from, { zone: "UTC" }); d.toISODate()! <= to; d = d.plus({ days: 1 })) {
    const day = d.toISODate()!;
    const dayStart = DateTime.fromISO(day, { zone: timeZone }).toMillis();
    const dayEnd = DateTime.fromISO(day, { zone: timeZone }).plus({ days: 1 }).toMillis();
    days.push({
      date: day,
      available: availabilityOn(schedule, day, timeZone).map((i) => ({
        start: toUtcIso(i.start),
        end: toUtcIso(i.end),
        localStart: toLocalIso(i.start, timeZone),
        localEnd: toLocalIso(i.end, timeZone),
      })),
      /** Approved leave overlapping the day: no appointments are taken then. */
      leave: absences
        .filter((a) => Date.parse(a.start) < dayEnd && dayStart < Date.parse(a.end))
        .map(({ leaveId, start, end }) => ({ leaveId, start, end })),
      appointments: appointments
        .filter((a) => localDateOf(Date.parse(a.start), timeZone) === day)
        .map((a) => staffAppointmentView(a, names.get(a.patientId))),
    });
  }
  return { doctor: { id: doctor.doctorId, name: doctor.name, clinicIds: doctor.clinicIds, active: doctor.active }, timeZone, from: input.from, to, days };
}
