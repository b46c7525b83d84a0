/**
 * The pieces every appointment transaction is built from: claims taken and released, the
 * audit entry and the domain event written with the change, and the reading back of
 * DynamoDB's cancellation reasons.
 */
import type { Appointment, Db } from "../entities";
import { auditEntryItem } from "../audit/entry";
import { ConflictError } from "../errors";
import { buildEvent, type EventDetail, type EventType } from "../events/schemas";
import { claimExpiry, planClaims, type ClaimKey } from "./claims";

export interface Actor {
  id: string;
  role: string;
}

/** Who acts when a workflow step or the sweeper changes an appointment. */
export const WORKFLOW_ACTOR: Actor = { id: "system:workflow", role: "system" };
export const SWEEPER_ACTOR: Actor = { id: "system:sweeper", role: "system" };

/** The entities as a write transaction hands them out (each operation ends in `.commit()`). */
export type Tx = Parameters<Parameters<Db["service"]["transaction"]["write"]>[0]>[0];
export type TxOp = ReturnType<Parameters<Db["service"]["transaction"]["write"]>[0]>[number];

export type TxOutcome = "ok" | "doctor-taken" | "patient-overlap" | "version-moved" | "schedule-moved" | "conflict";

/** Reads DynamoDB's cancellation reasons, item by item, back into what they mean for us. */
export function classify(
  result: { canceled: boolean; data: Array<{ code?: string; rejected?: boolean }> },
  layout: { doctor: [number, number]; patient: [number, number]; appointment: number; schedule?: number },
): TxOutcome {
  if (!result.canceled) return "ok";
  const failedAt = (from: number, to: number) =>
    result.data.slice(from, to).some((r) => r.code === "ConditionalCheckFailed");
  if (failedAt(layout.patient[0], layout.patient[1])) return "patient-overlap";
  if (failedAt(layout.doctor[0], layout.doctor[1])) return "doctor-taken";
  if (failedAt(layout.appointment, layout.appointment + 1)) return "version-moved";
  if (layout.schedule !== undefined && failedAt(layout.schedule, layout.schedule + 1)) return "schedule-moved";
  if (result.data.some((r) => r.code === "TransactionConflict")) return "conflict";
  const codes = result.data.map((r) => r.code ?? "None").join(",");
  throw new Error(`Unexpected transaction cancellation: ${codes}`);
}

export const versionConflict = () =>
  new ConflictError("VERSION_CONFLICT", "The appointment changed meanwhile; reload and try again");

/**
 * The doctor's schedule as the decision read it: the booking commits only if the doctor's
 * working hours and absences (`scheduleVersion`) did not change meanwhile. A schedule change
 * bumps the version first and then moves the appointments it strands, so no booking can land
 * in time the doctor no longer works after that change committed.
 */
export function scheduleCheckItem(tx: Tx, doctorId: string, scheduleVersion: number | undefined) {
  return tx.doctor.check({ doctorId }).where(scheduleVersionIs(scheduleVersion)).commit();
}

/** The doctor item's condition "the schedule is still the one read" (absent = never changed),
 * for the bookings' check and for the changes that bump the version. */
export function scheduleVersionIs(version: number | undefined): DoctorCondition {
  return (attr, op) => (version === undefined ? op.notExists(attr.scheduleVersion) : op.eq(attr.scheduleVersion, version));
}
type DoctorCondition = Parameters<ReturnType<ReturnType<Db["doctor"]["patch"]>["set"]>["where"]>[0];

/** The doctor's schedule changed between the decision and the write: decide again. */
export class ScheduleMovedError extends Error {
  constructor() {
    super("the doctor's schedule changed meanwhile");
  }
}

export const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt + Math.random() * 20));

/**
 * Claims taken: each unit must be free — no claim at all, or only the claim of a hold that
 * has lapsed (`holdUntil` passed), which a new booking may take over. A hold's own claims
 * carry `holdUntil`; a confirmed booking's claims never do, so they can never be taken.
 */
export function claimItems(tx: Tx, claims: ClaimKey[], appointmentId: string, blockEnd: number, now: number, holdUntil?: number) {
  const expiresAt = claimExpiry(blockEnd);
  return claims.map((c) =>
    tx.claim
      .put({ ...c, appointmentId, expiresAt, holdUntil })
      .where((attr, op) => `${op.notExists(attr.appointmentId)} OR ${op.lt(attr.holdUntil, now)}`)
      .commit(),
  );
}

export function releaseItems(tx: Tx, claims: ClaimKey[], appointmentId: string) {
  // The claim must be ours or already gone (TTL); never delete another appointment's claim.
  return claims.map((c) =>
    tx.claim
      .delete(c)
      .where((attr, op) => `${op.notExists(attr.appointmentId)} OR ${op.eq(attr.appointmentId, appointmentId)}`)
      .commit(),
  );
}

/** The appointment's audit entry (audit/entry.ts), on the appointment's clinic chain. */
export function auditItem(tx: Tx, appointment: Pick<Appointment, "appointmentId" | "clinicId">, action: string, actor: Actor, now: number, details: Record<string, unknown>) {
  return auditEntryItem(tx, { type: "appointment", id: appointment.appointmentId, clinicId: appointment.clinicId }, action, actor, now, details);
}

/** A domain event written in the same transaction as the change it reports (an outbox item),
 * built and validated by events/schemas.ts. */
export function eventItem<T extends EventType>(
  tx: Tx,
  appointment: Pick<Appointment, "appointmentId" | "clinicId" | "regionId">,
  type: T,
  now: number,
  detail: EventDetail<T>,
) {
  return tx.domainEvent.create(buildEvent(type, appointment, new Date(now).toISOString(), detail)).commit();
}

export function claimsOf(a: Appointment): { doctor: ClaimKey[]; patient: ClaimKey[] } {
  return planClaims({
    doctorId: a.doctorId,
    patientId: a.patientId,
    blockStart: Date.parse(a.blockStart),
    blockEnd: Date.parse(a.blockEnd),
    start: Date.parse(a.start),
    end: Date.parse(a.end),
  });
}
