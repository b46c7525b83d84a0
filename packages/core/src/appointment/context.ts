import type { Appointment, AppointmentType, Clinic, Db, Doctor } from "../entities";
import { NotFoundError } from "../errors";
import type { Absence, BusyBlock, DoctorSchedule, SlotRules } from "../schedule/types";

const DAY_MS = 24 * 3600_000;

/** Statuses that hold the doctor's time. */
export const ACTIVE_STATUSES: ReadonlySet<Appointment["status"]> = new Set(["pending", "booked", "arrived"]);

/** Whether an appointment takes its doctor's time now: active, and not a hold that has lapsed
 * (a lapsed hold is free for others even before the sweeper releases it). */
export function holdsTime(a: Pick<Appointment, "status" | "holdExpiresAt">, now: number): boolean {
  if (!ACTIVE_STATUSES.has(a.status)) return false;
  return !(a.status === "pending" && a.holdExpiresAt !== undefined && Date.parse(a.holdExpiresAt) <= now);
}

export interface ScheduleContext {
  type: AppointmentType;
  clinic: Clinic;
  rules: SlotRules;
  /** Active doctors of this clinic with the type's required skill. */
  doctors: Doctor[];
  /** Active appointments of the region overlapping the window (all clinics: doctors move),
   * with only the attributes scheduling needs. */
  appointments: BusyAppointment[];
}

export function rulesOf(type: AppointmentType): SlotRules {
  return {
    durationMinutes: type.durationMinutes,
    bufferBeforeMinutes: type.bufferBeforeMinutes,
    bufferAfterMinutes: type.bufferAfterMinutes,
    minimumNoticeMinutes: type.minimumNoticeMinutes,
    bookingHorizonDays: type.bookingHorizonDays,
  };
}

export function scheduleOf(doctor: Doctor): DoctorSchedule {
  return { doctorId: doctor.doctorId, template: doctor.template, overrides: doctor.overrides ?? [] };
}

/** What scheduling reads of an appointment (a projection keeps slot search light). */
const busyAttributes = ["appointmentId", "doctorId", "status", "start", "blockStart", "blockEnd", "holdExpiresAt"] as const;
export type BusyAppointment = Pick<Appointment, (typeof busyAttributes)[number]>;

export function busyBlocks(appointments: BusyAppointment[], except?: string): BusyBlock[] {
  return appointments
    .filter((a) => a.appointmentId !== except)
    .map((a) => ({ doctorId: a.doctorId, start: Date.parse(a.blockStart), end: Date.parse(a.blockEnd) }));
}

/** The doctors' approved leave, as time they are taken. */
export function absenceBlocks(doctors: Pick<Doctor, "doctorId" | "absences">[]): BusyBlock[] {
  return doctors.flatMap((d) =>
    ((d.absences ?? []) as Absence[]).map((a) => ({ doctorId: d.doctorId, start: Date.parse(a.start), end: Date.parse(a.end) })),
  );
}

/** Everything that takes the context's doctors' time: appointments (but `except`) and leave. */
export function contextBusy(ctx: Pick<ScheduleContext, "appointments" | "doctors">, except?: string): BusyBlock[] {
  return [...busyBlocks(ctx.appointments, except), ...absenceBlocks(ctx.doctors)];
}

/**
 * Everything slot search and booking need, in two GetItems and two Queries:
 * the type, the clinic, the region's doctors, and the region's appointments over the window.
 * The window is widened by two days on each side, which covers every UTC offset and block length.
 */
export async function loadScheduleContext(
  db: Db,
  args: { regionId: string; typeId: string; clinicId: string; windowStart: number; windowEnd: number; now: number },
): Promise<ScheduleContext> {
  const from = new Date(args.windowStart - 2 * DAY_MS).toISOString();
  const to = new Date(args.windowEnd + 2 * DAY_MS).toISOString();
  const [type, clinic, doctors, appointments] = await Promise.all([
    db.appointmentType.get({ typeId: args.typeId }).go(),
    db.clinic.get({ clinicId: args.clinicId }).go(),
    db.doctor.query.byRegion({ regionId: args.regionId }).go({ pages: "all" }),
    db.appointment.query
      .byRegionTime({ regionId: args.regionId })
      .between({ start: from }, { start: to })
      .go({ pages: "all", attributes: [...busyAttributes] }),
  ]);
  if (!type.data || !type.data.active || type.data.regionId !== args.regionId) {
    throw new NotFoundError("Appointment type", { typeId: args.typeId });
  }
  if (!clinic.data || !clinic.data.active || clinic.data.regionId !== args.regionId) {
    throw new NotFoundError("Clinic", { clinicId: args.clinicId });
  }
  const requiredSkill = type.data.requiredSkill;
  return {
    type: type.data,
    clinic: clinic.data,
    rules: rulesOf(type.data),
    doctors: doctors.data.filter(
      (d) =>
        d.active && d.clinicIds.includes(args.clinicId) && (!requiredSkill || d.skills.includes(requiredSkill)),
    ),
    appointments: appointments.data.filter((a) => holdsTime(a, args.now)),
  };
}
