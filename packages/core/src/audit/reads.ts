/**
 * Reads of patient data by staff or support are audited like changes: the entry is written
 * before the data is returned, so a read whose audit entry could not be written returns
 * nothing. Reads of one appointment's data write their entry on that appointment; reads that
 * span patients (a queue, a search) on what they span.
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../entities";
import type { Actor } from "../appointment/tx";

/** One read's audit entry, on the chain of `clinicId` (audit/entry.ts explains the chains). */
export async function auditRead(
  db: Db,
  input: { subjectType: string; subjectId: string; clinicId: string; action: string; actor: Actor; now: number; details?: Record<string, unknown> },
) {
  await db.auditEntry
    .create({
      auditId: randomUUID(),
      subjectType: input.subjectType,
      subjectId: input.subjectId,
      clinicId: input.clinicId,
      action: input.action,
      actorId: input.actor.id,
      actorRole: input.actor.role,
      at: new Date(input.now).toISOString(),
      details: input.details,
    })
    .go();
}

/** A read spanning a clinic's patients (e.g. the pre-screening queue): which appointments it showed. */
export async function auditListRead(
  db: Db,
  input: { subjectType: string; clinicId: string; action: string; actor: Actor; now: number; appointmentIds: string[] },
) {
  const { appointmentIds, ...rest } = input;
  await auditRead(db, { ...rest, subjectId: input.clinicId, details: { appointmentIds } });
}

/** A staff or support read of one appointment, audited on the appointment itself. */
export async function auditAppointmentRead(
  db: Db,
  input: { appointment: { appointmentId: string; clinicId: string }; actor: Actor; now: number; action?: string },
) {
  await auditRead(db, {
    subjectType: "appointment",
    subjectId: input.appointment.appointmentId,
    clinicId: input.appointment.clinicId,
    action: input.action ?? "appointment.viewed",
    actor: input.actor,
    now: input.now,
  });
}
