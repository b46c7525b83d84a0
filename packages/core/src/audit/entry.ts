/**
 * An audit entry as one item of the transaction that makes the change it records, for any
 * subject: an appointment (appointment/tx.ts `auditItem`), or a catalog item an administrator
 * changed (admin/*.ts).
 *
 * `clinicId` names the hash chain the entry joins (one chain per clinic and UTC day,
 * ./chain.ts) and the clinic whose audit trail shows it (./query.ts). Changes that concern no
 * one clinic — appointment types, region settings — go to the region's own chain,
 * REGION_AUDIT_CLINIC_ID, which no clinic can take as its id (admin/schemas.ts).
 */
import { randomUUID } from "node:crypto";
import type { Actor, Tx } from "../appointment/tx";

export const REGION_AUDIT_CLINIC_ID = "region";

export interface AuditSubject {
  /** "appointment", "clinic", "doctor", "appointmentType", "region"… */
  type: string;
  id: string;
  /** The clinic concerned, or REGION_AUDIT_CLINIC_ID. */
  clinicId: string;
}

/** `at` keeps milliseconds (unlike appointment instants): it orders the entries of one subject. */
export function auditEntryItem(tx: Tx, subject: AuditSubject, action: string, actor: Actor, now: number, details?: Record<string, unknown>) {
  return tx.auditEntry
    .create({
      auditId: randomUUID(),
      subjectType: subject.type,
      subjectId: subject.id,
      clinicId: subject.clinicId,
      action,
      actorId: actor.id,
      actorRole: actor.role,
      at: new Date(now).toISOString(),
      details,
    })
    .commit();
}
