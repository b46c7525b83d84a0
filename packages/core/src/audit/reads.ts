/**
 * Reads of patient data by staff or support are audited like changes: the entry is written
 * before the data is returned, so a read whose audit entry could not be written returns
 * nothing. (Reads of one appointment's data write their entry on that appointment, e.g.
 * `prescreening.viewed`; this is for reads that span patients, such as a queue.)
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../entities";
import type { Actor } from "../appointment/tx";

export async function auditListRead(
  db: Db,
  input: { subjectType: string; clinicId: string; action: string; actor: Actor; now: number; appointmentIds: string[] },
) {
  await db.auditEntry
    .create({
      auditId: randomUUID(),
      subjectType: input.subjectType,
      subjectId: input.clinicId,
      clinicId: input.clinicId,
      action: input.action,
      actorId: input.actor.id,
      actorRole: input.actor.role,
      at: new Date(input.now).toISOString(),
      details: { appointmentIds: input.appointmentIds },
    })
    .go();
}

/** A staff or support read of one appointment, audited on the appointment itself. */
export async function auditAppointmentRead(
  db: Db,
  input: { appointment: { appointmentId: string; clinicId: string }; actor: Actor; now: number; action?: string },
) {
  await db.auditEntry
    .create({
      auditId: randomUUID(),
      subjectType: "appointment",
      subjectId: input.appointment.appointmentId,
      clinicId: input.appointment.clinicId,
      action: input.action ?? "appointment.viewed",
      actorId: input.actor.id,
      actorRole: input.actor.role,
      at: new Date(input.now).toISOString(),
    })
    .go();
}
