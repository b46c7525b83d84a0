/**
 * A doctor's working hours: the weekly template and date overrides, in the clinic's local time.
 *
 * A change that would leave booked appointments outside the new hours ("stranded") is refused
 * with 409 listing them, unless the caller asks to `reassign`: then the change commits (bumping
 * `scheduleVersion`, so no booking lands in the removed hours from then on) and the stranded
 * appointments are moved as leave moves them (appointment/reassign.ts). After the commit the
 * doctor's appointments are checked again, so one booked in the moment between the check and
 * the commit is moved too rather than left outside the hours.
 */
import { z } from "zod";
import { moveOffDoctor, type ReassignOutcome } from "../appointment/reassign";
import { holdsTime } from "../appointment/context";
import { scheduleVersionIs, type Actor } from "../appointment/tx";
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import type { Appointment, Db, Doctor } from "../entities";
import { ConflictError } from "../errors";
import { toUtcIso, worksThrough } from "../schedule/slots";
import { dateOverrideSchema, isoDateSchema, weekdays, weeklyTemplateSchema, type DoctorSchedule, type WeeklyTemplate, type DateOverride, type Absence } from "../schedule/types";

const id = z.string().trim().min(1).max(100);

export const availabilityQuerySchema = z.object({ doctorId: id.optional() });

export const availabilityChangeSchema = z
  .strictObject({
    /** Admins name the doctor; a doctor changes their own. */
    doctorId: id.optional(),
    /** Replaces the weekly template when given. */
    template: weeklyTemplateSchema.optional(),
    /** Sets these dates' overrides (one per date; others stay as they are). */
    overrides: z.array(dateOverrideSchema).max(400).optional(),
    /** Removes these dates' overrides: the weekly template applies again. */
    removeOverrides: z.array(isoDateSchema).max(400).optional(),
    /** The schedule version the caller saw: refused (409) if it changed since. */
    version: z.number().int().min(0).optional(),
    /** Move stranded appointments to other doctors (or ask their patients to pick another
     * time) instead of refusing the change. */
    reassign: z.boolean().default(false),
  })
  .refine((b) => b.template || b.overrides || b.removeOverrides, { message: "give a template, overrides or dates to remove", path: ["template"] })
  .refine((b) => !b.overrides || new Set(b.overrides.map((o) => o.date)).size === b.overrides.length, {
    message: "one override per date",
    path: ["overrides"],
  })
  .refine((b) => !b.overrides || !b.removeOverrides || !b.overrides.some((o) => b.removeOverrides!.includes(o.date)), {
    message: "a date cannot be both set and removed",
    path: ["removeOverrides"],
  });
export type AvailabilityChange = z.infer<typeof availabilityChangeSchema>;

export function availabilityView(d: Doctor) {
  return {
    doctorId: d.doctorId,
    name: d.name,
    clinicIds: d.clinicIds,
    // Monday first (a stored map comes back in any order).
    template: Object.fromEntries(weekdays.map((day) => [day, (d.template as WeeklyTemplate)[day] ?? []])) as WeeklyTemplate,
    overrides: (d.overrides ?? []) as DateOverride[],
    /** Approved leave (read-only here). */
    absences: ((d.absences ?? []) as Absence[]).map(({ leaveId, start, end }) => ({ leaveId, start, end })),
    /** Send it back with a change to be sure nobody changed the hours meanwhile. */
    version: d.scheduleVersion ?? 0,
  };
}

/** The overrides after a change: dates set replaced or added, dates removed dropped; by date. */
function mergeOverrides(current: DateOverride[], change: Pick<AvailabilityChange, "overrides" | "removeOverrides">): DateOverride[] {
  const byDate = new Map(current.map((o) => [o.date, o]));
  for (const date of change.removeOverrides ?? []) byDate.delete(date);
  for (const o of change.overrides ?? []) byDate.set(o.date, o);
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

const fitsSchedule = (schedule: DoctorSchedule) => (a: Appointment) =>
  worksThrough(schedule, { start: Date.parse(a.blockStart), end: Date.parse(a.blockEnd) }, a.timeZone);

export async function changeAvailability(
  db: Db,
  input: { doctor: Doctor; change: AvailabilityChange; actor: Actor; now: number },
): Promise<{ availability: ReturnType<typeof availabilityView>; outcome: ReassignOutcome }> {
  const { doctor, change } = input;
  const version = doctor.scheduleVersion;
  if (change.version !== undefined && change.version !== (version ?? 0)) {
    throw new ConflictError("SCHEDULE_CHANGED", "The working hours changed meanwhile; reload them", { version: version ?? 0 });
  }
  const schedule: DoctorSchedule = {
    doctorId: doctor.doctorId,
    template: change.template ?? (doctor.template as WeeklyTemplate),
    overrides: mergeOverrides((doctor.overrides ?? []) as DateOverride[], change),
  };
  const fits = fitsSchedule(schedule);
  const { data: future } = await db.appointment.query
    .byDoctor({ doctorId: doctor.doctorId })
    .gte({ start: toUtcIso(input.now) })
    .go({ pages: "all" });
  const stranded = future.filter((a) => holdsTime(a, input.now) && !fits(a));
  if (stranded.length > 0 && !change.reassign) {
    throw new ConflictError("AVAILABILITY_STRANDS_BOOKINGS", "Appointments are booked outside the new hours; move them first, or send reassign: true to move them to other doctors", {
      appointments: stranded.map((a) => ({ id: a.appointmentId, start: a.start, end: a.end, clinicId: a.clinicId, status: a.status })),
    });
  }
  const next = (version ?? 0) + 1;
  const result = await db.service.transaction
    .write((tx) => [
      tx.doctor
        .patch({ doctorId: doctor.doctorId })
        .set({ template: schedule.template, overrides: schedule.overrides, scheduleVersion: next })
        .where(scheduleVersionIs(version))
        .commit(),
      auditEntryItem(
        tx,
        { type: "doctor", id: doctor.doctorId, clinicId: doctor.clinicIds[0] ?? REGION_AUDIT_CLINIC_ID },
        "doctor.availability-changed",
        input.actor,
        input.now,
        {
          before: { template: doctor.template, overrides: doctor.overrides ?? [] },
          after: { template: schedule.template, overrides: schedule.overrides },
          stranded: stranded.map((a) => a.appointmentId),
        },
      ),
    ])
    .go();
  if (result.canceled) throw new ConflictError("SCHEDULE_CHANGED", "The working hours changed meanwhile; reload them");
  const outcome = await moveOffDoctor(db, { doctorId: doctor.doctorId, fits, reason: "availability", actor: input.actor, now: input.now });
  return { availability: availabilityView({ ...doctor, ...schedule, scheduleVersion: next }), outcome };
}
