/**
 * The HTTP API's request schemas and response shapes, shared by the handlers (validation)
 * and, later, by the typed web client. Dates are ISO-8601; instants are UTC with `Z`.
 */
import { z } from "zod";
import { appointmentStatuses, type Appointment, type AppointmentType, type Clinic, type Screening } from "./entities";
import type { Questionnaire } from "./prescreening/questionnaire";
import { decisions, type PrescreeningState } from "./prescreening/state";
import { toLocalIso, toUtcIso } from "./schedule/slots";
import type { Slot } from "./schedule/types";

const DAY_MS = 24 * 3600_000;
export const MAX_SLOT_RANGE_DAYS = 31;

const id = z.string().trim().min(1).max(100);
/** An instant with an explicit offset or Z: "2026-03-30T09:00:00+01:00". */
const instant = z.iso
  .datetime({ offset: true, message: "expected an ISO-8601 date-time with offset, e.g. 2026-03-30T09:00:00Z" })
  .refine((v) => {
    const year = new Date(Date.parse(v)).getUTCFullYear();
    return year >= 2000 && year <= 2999;
  }, { message: "expected a date-time between the years 2000 and 2999" });

/** A calendar date in this millennium (anything else is a typo, and would overflow ISO keys). */
const date = z.iso
  .date({ message: "expected a date yyyy-mm-dd" })
  .refine((d) => d >= "2000-01-01" && d <= "2999-12-31", { message: "expected a date between 2000 and 2999" });

export const slotsQuerySchema = z
  .object({ typeId: id, clinicId: id, from: date, to: date })
  .refine((q) => q.to >= q.from, { message: "`to` must not be before `from`", path: ["to"] })
  .refine((q) => !((Date.parse(q.to) - Date.parse(q.from)) / DAY_MS >= MAX_SLOT_RANGE_DAYS), {
    message: `the range may span at most ${MAX_SLOT_RANGE_DAYS} days`,
    path: ["to"],
  });

export const createAppointmentSchema = z.strictObject({
  typeId: id,
  clinicId: id,
  start: instant,
  reason: z.string().trim().max(500).optional(),
});

export const rescheduleSchema = z.strictObject({ start: instant });

export const cancelSchema = z.strictObject({ reason: z.string().trim().max(500).optional() });

export const appointmentIdPathSchema = z.object({ id });

/** Stored instants are UTC with Z, compared as strings: normalise whatever offset came in. */
const utcInstant = instant.transform((v) => toUtcIso(Date.parse(v)));

export const listAppointmentsQuerySchema = z
  .object({
    status: z.enum(appointmentStatuses).optional(),
    from: utcInstant.optional(),
    to: utcInstant.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(2048).optional(),
  })
  .refine((q) => !(q.from && q.to && q.to < q.from), { message: "`to` must not be before `from`", path: ["to"] });

/** Answers are checked against the type's own questionnaire after this (400 with the details). */
export const prescreeningAnswersSchema = z.strictObject({
  answers: z.record(z.string().max(40), z.unknown()).refine((a) => Object.keys(a).length <= 50, { message: "at most 50 answers" }),
});

export const prescreeningQueueQuerySchema = z.object({
  status: z.enum(["pending"]).default("pending"),
  clinicId: id,
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(2048).optional(),
});

export const staffAppointmentPathSchema = z.object({ appointmentId: id });

export const emergencyNoticeSchema = z.strictObject({
  clinicId: id,
  date,
  message: z.string().trim().min(1, "a message is required").max(1000),
});

export const prescreeningDecisionSchema = z.strictObject({
  decision: z.enum(decisions),
  note: z.string().trim().max(1000).optional(),
});

export function slotView(slot: Slot, clinicId: string, typeId: string) {
  return {
    start: toUtcIso(slot.start),
    end: toUtcIso(slot.end),
    localStart: slot.localStart,
    clinicId,
    typeId,
    freeDoctors: slot.doctorIds.length,
  };
}

export function appointmentView(a: Appointment) {
  return {
    id: a.appointmentId,
    status: a.status,
    clinicId: a.clinicId,
    typeId: a.typeId,
    doctor: { id: a.doctorId, name: a.doctorName },
    start: a.start,
    end: a.end,
    localStart: toLocalIso(Date.parse(a.start), a.timeZone),
    timeZone: a.timeZone,
    reason: a.reason,
    assignment: { rule: a.assignment.rule, explanation: a.assignment.explanation },
    version: a.version,
    history: a.history,
    cancelReason: a.cancelReason,
    /** The doctor cannot see you then and no one else is free: pick another time (offers: the nearest free slots). */
    needsReschedule: a.needsReschedule ?? undefined,
    /** While pending: when the hold lapses unless pre-screening confirms it. */
    holdExpiresAt: a.status === "pending" ? a.holdExpiresAt : undefined,
    /** Where pre-screening stands (details at …/prescreening). */
    prescreening: a.prescreening
      ? { state: (a.prescreening as PrescreeningState).state, answerBy: (a.prescreening as PrescreeningState).answerBy }
      : undefined,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}
export type AppointmentView = ReturnType<typeof appointmentView>;

export type SlotView = ReturnType<typeof slotView>;

/** A slot search's answer: the clinic's time zone (slots' `localStart` is in it) and the slots. */
export function slotSearchView(result: { clinic: Clinic; type: AppointmentType; slots: Slot[] }) {
  const { clinic, type } = result;
  return {
    clinicId: clinic.clinicId,
    typeId: type.typeId,
    timeZone: clinic.timeZone,
    slots: result.slots.map((s) => slotView(s, clinic.clinicId, type.typeId)),
  };
}
export type SlotSearchView = ReturnType<typeof slotSearchView>;

export function clinicView(c: Clinic) {
  return { id: c.clinicId, name: c.name, timeZone: c.timeZone, address: c.address, phone: c.phone };
}
export type ClinicView = ReturnType<typeof clinicView>;

export function appointmentTypeView(t: AppointmentType) {
  return {
    id: t.typeId,
    name: t.name,
    description: t.description,
    durationMinutes: t.durationMinutes,
    bufferBeforeMinutes: t.bufferBeforeMinutes,
    bufferAfterMinutes: t.bufferAfterMinutes,
    minimumNoticeMinutes: t.minimumNoticeMinutes,
    bookingHorizonDays: t.bookingHorizonDays,
    requiresPrescreening: t.requiresPrescreening,
    requiredSkill: t.requiredSkill,
  };
}
export type AppointmentTypeView = ReturnType<typeof appointmentTypeView>;

/** The patient's view of their pre-screening (no staff notes, never the task token). */
export function prescreeningView(a: Appointment, state: PrescreeningState, questionnaire: Questionnaire) {
  return {
    appointmentId: a.appointmentId,
    appointmentStatus: a.status,
    state: state.state,
    answerBy: state.answerBy,
    questionnaire,
    answers: state.answers,
    submittedAt: state.submittedAt,
    decision: state.decision,
    decidedAt: state.decidedAt,
    releasedReason: state.releasedReason,
  };
}
export type PrescreeningView = ReturnType<typeof prescreeningView>;

/** A nurse's view: the patient's answers and the whole timeline. */
export function staffPrescreeningView(a: Appointment, state: PrescreeningState, questionnaire: Questionnaire, now: number) {
  return {
    ...prescreeningView(a, state, questionnaire),
    clinicId: a.clinicId,
    typeId: a.typeId,
    start: a.start,
    patientId: a.patientId,
    slaDueAt: state.slaDueAt,
    slaRemainingMinutes: state.slaDueAt ? Math.round((Date.parse(state.slaDueAt) - now) / 60_000) : undefined,
    decideBy: state.decideBy,
    escalatedAt: state.escalatedAt,
    calledPatientAt: state.calledPatientAt,
    callNote: state.callNote,
    decidedBy: state.decidedBy,
    note: state.note,
  };
}
export type StaffPrescreeningView = ReturnType<typeof staffPrescreeningView>;

export function screeningView(s: Screening, now: number) {
  return {
    appointmentId: s.appointmentId,
    clinicId: s.clinicId,
    typeId: s.typeId,
    start: s.start,
    patient: { id: s.patientId, name: s.patientName },
    queuedAt: s.queuedAt,
    slaDueAt: s.slaDueAt,
    /** Negative once the SLA is missed. */
    slaRemainingMinutes: Math.round((Date.parse(s.slaDueAt) - now) / 60_000),
    decideBy: s.decideBy,
    escalated: s.escalatedAt !== undefined,
    calledPatientAt: s.calledPatientAt,
  };
}
export type ScreeningView = ReturnType<typeof screeningView>;
