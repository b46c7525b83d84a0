/**
 * Emergency notices: an admin tells every patient booked at a clinic on a day something
 * urgent (the clinic is closed, the power is out). One outbox event per appointment, each
 * written with its audit entry in one transaction, so the notice reaches each patient
 * through the usual pipeline — on every channel they can be reached on, quiet hours or not
 * (messages.ts `planFor`). The event id is derived from the notice and the appointment, so
 * sending the same notice again (a retried request) reaches no one twice.
 */
import { createHash } from "node:crypto";
import { DateTime } from "luxon";
import type { Db } from "../entities";
import { NotFoundError } from "../errors";
import { buildEvent } from "../events/schemas";
import { auditItem, type Actor } from "../appointment/tx";

/** Appointments that still expect the patient to come. */
const AFFECTED = new Set(["pending", "booked", "arrived"]);

export interface EmergencyNotice {
  regionId: string;
  clinicId: string;
  /** The clinic's local date. */
  date: string;
  message: string;
  actor: Actor;
  now: number;
  /** Names the notice; the same id twice is the same notice. Default: derived from the request. */
  noticeId?: string;
}

export async function sendEmergencyNotice(db: Db, notice: EmergencyNotice) {
  const clinic = await db.clinic.get({ clinicId: notice.clinicId }).go();
  if (!clinic.data || clinic.data.regionId !== notice.regionId) throw new NotFoundError("Clinic", { clinicId: notice.clinicId });
  const dayStart = DateTime.fromISO(notice.date, { zone: clinic.data.timeZone }).startOf("day");
  const from = dayStart.toUTC().toISO({ suppressMilliseconds: true })!;
  const to = dayStart.plus({ days: 1 }).toUTC().toISO({ suppressMilliseconds: true })!;
  const noticeId =
    notice.noticeId ??
    createHash("sha256").update(JSON.stringify([notice.clinicId, notice.date, notice.message, notice.actor.id])).digest("hex").slice(0, 24);

  const { data } = await db.appointment.query
    .byRegionTime({ regionId: notice.regionId })
    .between({ start: from }, { start: to })
    .go({ pages: "all" });
  const affected = data.filter((a) => a.clinicId === notice.clinicId && AFFECTED.has(a.status) && a.start < to);

  let notified = 0;
  for (const a of affected) {
    const event = buildEvent(
      "EmergencyNotice",
      a,
      new Date(notice.now).toISOString(),
      { patientId: a.patientId, start: a.start, noticeId, message: notice.message },
      `emergency:${noticeId}:${a.appointmentId}`,
    );
    const result = await db.service.transaction
      .write((tx) => [
        tx.domainEvent.create(event).commit(),
        auditItem(tx, a, "notification.emergency", notice.actor, notice.now, { noticeId, message: notice.message }),
      ])
      .go();
    // Cancelled: this notice already went to this appointment (its event exists).
    if (!result.canceled) notified++;
  }
  return {
    noticeId,
    clinicId: notice.clinicId,
    date: notice.date,
    appointments: affected.length,
    patients: new Set(affected.map((a) => a.patientId)).size,
    newlyNotified: notified,
  };
}
