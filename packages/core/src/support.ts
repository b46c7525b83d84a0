/**
 * Support helps patients who call: finds them by e-mail and reads their appointments — never
 * pre-screening answers — and may cancel on their behalf with a reason (booking.ts). Every read
 * is audited before anything is returned, on the region's audit chain (a patient belongs to no
 * one clinic).
 */
import { z } from "zod";
import { appointmentView } from "./api";
import { listOwnAppointments } from "./appointment/booking";
import type { Actor } from "./appointment/tx";
import { REGION_AUDIT_CLINIC_ID } from "./audit/entry";
import { auditRead } from "./audit/reads";
import { appointmentStatuses, type Db } from "./entities";
import { NotFoundError } from "./errors";

export const patientSearchQuerySchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email({ message: "an e-mail address" })),
});

export const supportPatientPathSchema = z.object({ patientId: z.string().trim().min(1).max(100) });

export const supportAppointmentsQuerySchema = z.object({
  status: z.enum(appointmentStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** The patients with this e-mail address (at most one per identity): id, name, e-mail. */
export async function findPatients(db: Db, input: { email: string; actor: Actor; now: number }) {
  const { data } = await db.patient.query.byEmail({ email: input.email }).go({ pages: "all" });
  await auditRead(db, {
    clinicId: REGION_AUDIT_CLINIC_ID,
    subjectType: "patient-search",
    subjectId: input.email,
    action: "patient.searched",
    actor: input.actor,
    now: input.now,
    details: { found: data.map((p) => p.patientId) },
  });
  return data.map((p) => ({ id: p.patientId, name: p.name, email: p.email, preferredLanguage: p.preferredLanguage }));
}

/** A patient's appointments as the patient sees them (no answers), newest window first by start. */
export async function patientAppointmentsForSupport(
  db: Db,
  input: { patientId: string; status?: (typeof appointmentStatuses)[number]; limit: number; cursor?: string; actor: Actor; now: number },
) {
  const { data: patient } = await db.patient.get({ patientId: input.patientId }).go();
  if (!patient) throw new NotFoundError("Patient", { patientId: input.patientId });
  const page = await listOwnAppointments(db, { patientId: input.patientId, status: input.status, limit: input.limit, cursor: input.cursor });
  await auditRead(db, {
    clinicId: REGION_AUDIT_CLINIC_ID,
    subjectType: "patient",
    subjectId: input.patientId,
    action: "patient.appointments-viewed",
    actor: input.actor,
    now: input.now,
    details: { appointmentIds: page.data.map((a) => a.appointmentId) },
  });
  return {
    patient: { id: patient.patientId, name: patient.name, email: patient.email },
    appointments: page.data.map((a) => ({ ...appointmentView(a), prescreening: undefined })),
    nextCursor: page.cursor ?? null,
  };
}
