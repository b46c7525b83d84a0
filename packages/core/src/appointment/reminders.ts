/**
 * Reminders of a booked appointment (the reminders workflow's two steps). A run belongs to one
 * version of the appointment: a reschedule bumps the version and starts a new run, and a
 * cancel changes the status, so an older run wakes up, re-reads, and sends nothing.
 */
import type { Appointment, Db } from "../entities";
import { buildEvent } from "../events/schemas";
import { toUtcIso } from "../schedule/slots";

const MINUTE = 60_000;
export const DEFAULT_REMINDER_OFFSETS_MINUTES = [24 * 60, 120];

export interface PlannedReminder {
  appointmentId: string;
  version: number;
  /** e.g. "1440m" (T-24 h) */
  kind: string;
  /** UTC ISO instant (RFC 3339, as a Wait state's TimestampPath needs) */
  at: string;
}

const current = (a: Appointment | undefined, version: number): a is Appointment =>
  !!a && a.status === "booked" && a.version === version;

/** The reminders still ahead for this version, earliest first; none if it is not current. */
export async function planReminders(db: Db, input: { appointmentId: string; version: number; now: number }) {
  const { data: a } = await db.appointment.get({ appointmentId: input.appointmentId }).go({ consistent: true });
  if (!current(a ?? undefined, input.version)) return { reminders: [] as PlannedReminder[], skipped: "not-current" };
  const appointment = a!;
  const [{ data: type }, { data: region }] = await Promise.all([
    db.appointmentType.get({ typeId: appointment.typeId }).go(),
    db.region.get({ regionId: appointment.regionId }).go(),
  ]);
  const offsets = type?.reminderOffsetsMinutes ?? region?.reminderOffsetsMinutes ?? DEFAULT_REMINDER_OFFSETS_MINUTES;
  const start = Date.parse(appointment.start);
  const reminders = [...new Set(offsets)]
    .filter((m) => m > 0)
    .sort((x, y) => y - x)
    .map((m) => ({ appointmentId: appointment.appointmentId, version: input.version, kind: `${m}m`, at: toUtcIso(start - m * MINUTE) }))
    .filter((r) => Date.parse(r.at) > input.now);
  return { reminders, skipped: undefined };
}

/**
 * Records a due reminder as a `ReminderDue` domain event — if the appointment is still booked
 * at this version. The event id is deterministic, so a retried step records it once.
 */
export async function sendReminder(db: Db, input: { appointmentId: string; version: number; kind: string; at: string; now: number }) {
  const { data: a } = await db.appointment.get({ appointmentId: input.appointmentId }).go({ consistent: true });
  if (!current(a ?? undefined, input.version)) {
    return { sent: false, reason: !a ? "gone" : a.status !== "booked" ? `status ${a.status}` : `moved to version ${a.version}` };
  }
  const appointment = a!;
  try {
    const event = buildEvent(
      "ReminderDue",
      appointment,
      // The due time, not the clock: the item's key must be the same on a retry.
      input.at,
      {
        patientId: appointment.patientId,
        kind: input.kind,
        dueAt: input.at,
        recordedAt: toUtcIso(input.now),
        start: appointment.start,
        version: input.version,
        doctorName: appointment.doctorName,
      },
      `reminder:${appointment.appointmentId}:v${input.version}:${input.kind}`,
    );
    await db.domainEvent.create(event).go();
  } catch (error) {
    // Same event id already written: a retried step. Anything else is a real failure.
    if ((error as { cause?: { name?: string } }).cause?.name !== "ConditionalCheckFailedException") throw error;
    return { sent: false, reason: "already recorded" };
  }
  return { sent: true, reason: undefined };
}
