/**
 * The domain events: one versioned zod schema per type, and the one builder every producer uses.
 * Events are written as outbox items (`domainEvent`) in the same transaction as the change they
 * report, so an event exists exactly when its change committed; the events issue publishes them
 * to EventBridge. A detail that does not fit its schema is a programming error: the builder
 * throws before anything is written.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Appointment, DomainEvent } from "../entities";

const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/, "a UTC instant");
const id = z.string().min(1);

const appointmentChange = z.strictObject({
  patientId: id,
  start: instant,
  /** Optional (added for the metrics consumer): the end as booked, so the booked minutes are
   * known without reading the appointment, which may have been moved since. */
  end: instant.optional(),
  typeId: id,
  doctorId: id,
  version: z.number().int().min(1),
});

/** What happened at an appointment's time (recorded by the clinic). */
const appointmentOutcome = z.strictObject({ patientId: id, start: instant, doctorId: id, version: z.number().int().min(1) });

export const eventSchemas = {
  /** Booked as a hold, waiting for pre-screening. */
  AppointmentPending: { version: 1, detail: appointmentChange },
  /** Confirmed: at once for types without pre-screening, else after approval. */
  AppointmentBooked: { version: 1, detail: appointmentChange },
  AppointmentRescheduled: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      from: instant,
      start: instant,
      doctorId: id,
      version: z.number().int().min(1),
      /** Optional (metrics): the ends before and after the move, so the minutes moved between
       * days are exact even if the type's duration changed in between. */
      fromEnd: instant.optional(),
      end: instant.optional(),
    }),
  },
  /** Cancelled by the patient, or a hold released: `reason` says why (what the patient is told). */
  AppointmentCancelled: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      start: instant,
      reason: z.string().min(1),
      version: z.number().int().min(1),
      /** Optional (metrics): the status before — "pending" for a released hold, "booked" for a
       * cancelled booking; only the latter gave back booked time. */
      previousStatus: z.enum(["pending", "booked"]).optional(),
    }),
  },
  PreScreeningRequested: { version: 1, detail: z.strictObject({ patientId: id, answerBy: instant, start: instant }) },
  PreScreeningDecided: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      decision: z.enum(["approve", "reject", "call-patient"]),
      start: instant,
      /** Optional (metrics): the decision came before the SLA was due (decidedAt ≤ slaDueAt),
       * i.e. this SLA period was not escalated. */
      slaMet: z.boolean().optional(),
    }),
  },
  /** The nurse SLA passed without a decision: for the clinic's nurses and admins. */
  PreScreeningEscalated: {
    version: 1,
    detail: z.strictObject({ audience: z.array(z.enum(["nurse", "admin"])).min(1), slaDueAt: instant, decideBy: instant, start: instant }),
  },
  /** The doctor can no longer see the patient then (leave, changed hours, left the clinic): another
   * qualified doctor, free at the same time, takes the appointment. Time and place stay. */
  AppointmentReassigned: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      start: instant,
      end: instant,
      fromDoctorId: id,
      doctorId: id,
      version: z.number().int().min(1),
      reason: z.enum(["leave", "availability", "deactivated"]),
    }),
  },
  /** As above, but no other doctor is free then: the appointment stays (nothing is cancelled
   * behind the patient's back) and the patient is asked to pick another time, with the nearest
   * free slots of the same type at the same clinic offered. */
  AppointmentNeedsReschedule: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      start: instant,
      doctorId: id,
      version: z.number().int().min(1),
      reason: z.enum(["leave", "availability", "deactivated"]),
      offers: z.array(z.strictObject({ start: instant, end: instant })).max(3),
    }),
  },
  /** The patient arrived at the clinic (checked in by staff). */
  AppointmentCheckedIn: { version: 1, detail: appointmentOutcome },
  /** The patient was seen. */
  AppointmentFulfilled: { version: 1, detail: appointmentOutcome },
  /** The patient did not come. */
  AppointmentNoShow: { version: 1, detail: appointmentOutcome },
  /** The clinic tells everyone booked on a day something urgent (closure, outage…). */
  EmergencyNotice: {
    version: 1,
    detail: z.strictObject({ patientId: id, start: instant, noticeId: id, message: z.string().min(1).max(1000) }),
  },
  /** A reminder is due (T-24 h, T-2 h…) for a booked appointment at this version. */
  ReminderDue: {
    version: 1,
    detail: z.strictObject({
      patientId: id,
      kind: z.string().regex(/^\d+m$/),
      dueAt: instant,
      recordedAt: instant,
      start: instant,
      version: z.number().int().min(1),
      doctorName: z.string().min(1),
    }),
  },
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventDetail<T extends EventType> = z.infer<(typeof eventSchemas)[T]["detail"]>;

/** The `domainEvent` item for an event about an appointment (validated). `eventId` is random
 * unless the producer needs a retry to write the same item twice-proof (then deterministic). */
export function buildEvent<T extends EventType>(
  type: T,
  appointment: Pick<Appointment, "appointmentId" | "clinicId" | "regionId">,
  occurredAt: string,
  detail: EventDetail<T>,
  eventId: string = randomUUID(),
): DomainEvent {
  const schema = eventSchemas[type];
  return {
    eventId,
    type,
    schemaVersion: schema.version,
    appointmentId: appointment.appointmentId,
    clinicId: appointment.clinicId,
    regionId: appointment.regionId,
    occurredAt: instant.parse(occurredAt),
    detail: schema.detail.parse(detail),
  };
}

/** Reads a stored event back, checking its detail against its type's schema. */
export function parseEvent(item: DomainEvent): { type: EventType; detail: unknown } {
  const schema = eventSchemas[item.type as EventType];
  if (!schema) throw new Error(`unknown event type ${item.type}`);
  if (schema.version !== item.schemaVersion) throw new Error(`${item.type} v${item.schemaVersion}: this code reads v${schema.version}`);
  return { type: item.type as EventType, detail: schema.detail.parse(item.detail) };
}
