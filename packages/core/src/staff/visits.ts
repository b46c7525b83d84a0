/**
 * What happens at the appointment's time, recorded by the clinic: the patient checked in
 * (`arrived`), was seen (`fulfilled`), or did not come (`noshow`).
 *
 * Each is one transaction on the appointment's version: the status change, its audit entry and
 * its domain event (metrics, notifications, real-time views) — or nothing. A finished visit gets
 * its archive TTL (the region's retention after its end), like a cancellation.
 */
import { z } from "zod";
import type { AppointmentGuard } from "../appointment/booking";
import { loadAppointment } from "../appointment/booking";
import { auditItem, eventItem, versionConflict, type Actor } from "../appointment/tx";
import { archiveAfter, retentionDaysOf } from "../archive/retention";
import type { Appointment, AppointmentStatus, Db } from "../entities";
import { BusinessRuleError, ConflictError } from "../errors";
import { toUtcIso } from "../schedule/slots";

/** How early before the start a patient may be checked in. */
export const CHECK_IN_EARLIEST_MS = 2 * 3600_000;

export type VisitAction = "check-in" | "complete" | "no-show";

interface Transition {
  from: readonly AppointmentStatus[];
  to: AppointmentStatus;
  event: "AppointmentCheckedIn" | "AppointmentFulfilled" | "AppointmentNoShow";
  /** Whether the visit is over: the appointment gets its archive TTL. */
  ends: boolean;
  /** The earliest moment the action makes sense, relative to the appointment. */
  earliest: (a: Appointment) => number;
  tooEarly: string;
}

const transitions: Record<VisitAction, Transition> = {
  "check-in": {
    from: ["booked"],
    to: "arrived",
    event: "AppointmentCheckedIn",
    ends: false,
    earliest: (a) => Date.parse(a.start) - CHECK_IN_EARLIEST_MS,
    tooEarly: "A patient can be checked in from two hours before the start",
  },
  complete: {
    from: ["booked", "arrived"],
    to: "fulfilled",
    event: "AppointmentFulfilled",
    ends: true,
    earliest: (a) => Date.parse(a.start),
    tooEarly: "An appointment can be completed once it has started",
  },
  "no-show": {
    from: ["booked"],
    to: "noshow",
    event: "AppointmentNoShow",
    ends: true,
    earliest: (a) => Date.parse(a.start),
    tooEarly: "A patient can be marked as not come once the appointment has started",
  },
};

/** The body of the three visit routes. */
export const visitSchema = z.strictObject({
  /** The version the caller saw; the change is refused (409) if the appointment moved since. */
  version: z.number().int().min(1).optional(),
  /** A reference to the clinical notes in the clinic's record system (never the notes). */
  notesRef: z.string().trim().min(1).max(200).optional(),
});
export type VisitInput = z.infer<typeof visitSchema>;

export async function recordVisit(
  db: Db,
  input: VisitInput & { appointmentId: string; action: VisitAction; guard: AppointmentGuard; actor: Actor; now: number },
): Promise<Appointment> {
  const t = transitions[input.action];
  const current = await loadAppointment(db, input.appointmentId, input.guard);
  if (input.version !== undefined && input.version !== current.version) throw versionConflict();
  if (input.action !== "complete" && input.notesRef !== undefined) {
    throw new BusinessRuleError("NOTES_ON_COMPLETE_ONLY", "A notes reference is recorded when the appointment is completed");
  }
  if (!t.from.includes(current.status)) {
    throw new ConflictError("INVALID_STATE", `A ${current.status} appointment cannot be ${t.to === "arrived" ? "checked in" : `marked ${t.to}`}`, {
      status: current.status,
      allowedFrom: t.from,
    });
  }
  if (input.now < t.earliest(current)) throw new BusinessRuleError("TOO_EARLY", t.tooEarly, { start: current.start });

  const nowIso = toUtcIso(input.now);
  const expiresAt = t.ends ? archiveAfter(current.end, await retentionDaysOf(db, current.regionId, input.now), input.now) : undefined;
  const entry = { at: nowIso, action: input.action, by: input.actor.id, status: t.to, ...(input.notesRef ? { note: `notes: ${input.notesRef}` } : {}) };
  const changes = {
    status: t.to,
    version: current.version + 1,
    updatedAt: nowIso,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(input.notesRef ? { notesRef: input.notesRef } : {}),
  };
  const result = await db.service.transaction
    .write((tx) => [
      tx.appointment
        .patch({ appointmentId: current.appointmentId })
        .set(changes)
        .append({ history: [entry] })
        .where((attr, op) => op.eq(attr.version, current.version))
        .commit(),
      auditItem(tx, current, `appointment.${t.to}`, input.actor, input.now, {
        from: current.status,
        ...(input.notesRef ? { notesRef: input.notesRef } : {}),
      }),
      eventItem(tx, current, t.event, input.now, {
        patientId: current.patientId,
        start: current.start,
        doctorId: current.doctorId,
        version: changes.version,
      }),
    ])
    .go();
  if (result.canceled) {
    if (result.data[0]?.code === "ConditionalCheckFailed") throw versionConflict();
    throw new ConflictError("REQUEST_CONFLICT", "The appointment is being changed by another request; try again");
  }
  return { ...current, ...changes, history: [...current.history, entry] } as Appointment;
}
