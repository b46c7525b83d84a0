import { randomUUID } from "node:crypto";
import type { Appointment, Db, Doctor } from "../entities";
import { BusinessRuleError, ConflictError, NotFoundError, ValidationError } from "../errors";
import { deadlinesFor, INITIAL_HOLD_MS, prescreeningConfigSchema } from "../prescreening/config";
import type { PrescreeningState } from "../prescreening/state";
import { blockFor, computeSlots, isOnSlotGrid, localDateOf, toUtcIso } from "../schedule/slots";
import { rankDoctors, type RankedDoctor } from "./assignment";
import { claimUnits, diffClaims, doctorResource, planClaims, type ClaimKey } from "./claims";
import { contextBusy, loadScheduleContext, scheduleOf, type ScheduleContext } from "./context";
import { archiveAfter, retentionDaysOf } from "../archive/retention";
import { releaseHold } from "./hold";
import {
  auditItem,
  backoff,
  claimItems,
  claimsOf,
  classify,
  eventItem,
  releaseItems,
  scheduleCheckItem,
  ScheduleMovedError,
  versionConflict,
  type Actor,
  type Tx,
  type TxOp,
  type TxOutcome,
} from "./tx";

export type { Actor } from "./tx";

/** How many free doctors a booking tries when it keeps losing races, and how often it
 * retries one doctor when DynamoDB reports a transaction conflict (not a lost claim). */
const MAX_DOCTORS_TRIED = 10;
const MAX_CONFLICT_RETRIES = 4;

const MINUTE = 60_000;

/** Checks that apply to any requested start, before any doctor is considered. */
function checkStartRules(ctx: ScheduleContext, start: number, now: number) {
  const { rules } = ctx;
  const at = toUtcIso(start);
  if (start <= now) throw new BusinessRuleError("IN_THE_PAST", "The start is in the past", { start: at });
  if (start < now + rules.minimumNoticeMinutes * MINUTE) {
    throw new BusinessRuleError(
      "BEFORE_MINIMUM_NOTICE",
      `This visit type must be booked at least ${rules.minimumNoticeMinutes} minutes ahead`,
      { start: at, minimumNoticeMinutes: rules.minimumNoticeMinutes },
    );
  }
  if (start > now + rules.bookingHorizonDays * 24 * 60 * MINUTE) {
    throw new BusinessRuleError(
      "BEYOND_HORIZON",
      `This visit type can be booked at most ${rules.bookingHorizonDays} days ahead`,
      { start: at, bookingHorizonDays: rules.bookingHorizonDays },
    );
  }
}

/** Doctors whose grid has this start, and of those the ones free for its block. */
function freeDoctorsAt(ctx: ScheduleContext, start: number, exceptAppointmentId?: string) {
  const tz = ctx.clinic.timeZone;
  const onGrid = ctx.doctors.filter((d) => isOnSlotGrid(scheduleOf(d), ctx.rules, start, tz));
  if (onGrid.length === 0) {
    throw new BusinessRuleError(
      "NOT_ON_SLOT_BOUNDARY",
      "No doctor of this clinic offers this visit type at that time; pick a start from available-slots",
      { start: toUtcIso(start) },
    );
  }
  const block = blockFor(start, ctx.rules);
  const busy = contextBusy(ctx, exceptAppointmentId);
  return onGrid.filter(
    (d) => !busy.some((b) => b.doctorId === d.doctorId && b.start < block.end && block.start < b.end),
  );
}

/** The patient and the doctors they saw before (most recent first, from their last 50
 * appointments — enough for continuity, bounded for patients with long histories). */
export async function loadPatientHistory(db: Db, patientId: string, now: number) {
  const [patient, past] = await Promise.all([
    db.patient.get({ patientId }).go(),
    db.appointment.query.byPatient({ patientId }).lt({ start: toUtcIso(now) }).go({ order: "desc", limit: 50 }),
  ]);
  if (!patient.data) throw new NotFoundError("Patient profile", { patientId });
  const seen = past.data.filter((a) => a.status === "fulfilled" || a.status === "arrived" || a.status === "booked");
  return { patient: patient.data, seenDoctorIds: [...new Set(seen.map((a) => a.doctorId))] };
}

export function assignmentContext(ctx: ScheduleContext, history: Awaited<ReturnType<typeof loadPatientHistory>>, start: number) {
  const day = localDateOf(start, ctx.clinic.timeZone);
  const loadByDoctor = new Map<string, number>();
  for (const a of ctx.appointments) {
    if (localDateOf(Date.parse(a.start), ctx.clinic.timeZone) !== day) continue;
    loadByDoctor.set(a.doctorId, (loadByDoctor.get(a.doctorId) ?? 0) + 1);
  }
  return { preferredLanguage: history.patient.preferredLanguage, seenDoctorIds: history.seenDoctorIds, loadByDoctor };
}

/**
 * The decision before a booking or a move: load the schedule and the patient (in parallel),
 * check the start's rules, and rank the doctors free for it. An appointment being moved
 * does not block its own doctor, and keeps that doctor first when free.
 */
async function rankFreeDoctors(
  db: Db,
  input: { regionId: string; typeId: string; clinicId: string; patientId: string; start: number; now: number; moving?: Appointment },
) {
  const [ctx, history] = await Promise.all([
    loadScheduleContext(db, { ...input, windowStart: input.start, windowEnd: input.start }),
    loadPatientHistory(db, input.patientId, input.now),
  ]);
  checkStartRules(ctx, input.start, input.now);
  const free = freeDoctorsAt(ctx, input.start, input.moving?.appointmentId);
  if (free.length === 0) throw new ConflictError("SLOT_TAKEN", "No doctor is free at this time; pick another slot");
  const ranked = rankDoctors(toCandidates(free), {
    ...assignmentContext(ctx, history, input.start),
    currentDoctorId: input.moving?.doctorId,
  });
  return { ctx, ranked };
}

export function toCandidates(doctors: Doctor[]) {
  return doctors.map((d) => ({ doctorId: d.doctorId, name: d.name, languages: d.languages }));
}

/**
 * Tries ranked doctors in order; `attempt` writes one transaction for one doctor.
 * A lost claim moves on to the next doctor; a transaction conflict retries the same one.
 * After a lost race, `stillFree` drops the doctors that meanwhile got taken, so a crowd
 * of requests for one slot does not send one doomed transaction per doctor each. That
 * read only saves work: the transaction's conditions remain the guarantee.
 */
export async function tryDoctors<T>(
  ranked: RankedDoctor[],
  attempt: (doctor: RankedDoctor) => Promise<{ outcome: TxOutcome; value?: T }>,
  stillFree: (doctors: RankedDoctor[]) => Promise<RankedDoctor[]>,
): Promise<{ value: T; doctor: RankedDoctor }> {
  let queue = ranked.slice(0, MAX_DOCTORS_TRIED);
  while (queue.length > 0) {
    const doctor = queue.shift()!;
    let taken = false;
    for (let retry = 0; retry <= MAX_CONFLICT_RETRIES && !taken; retry++) {
      const { outcome, value } = await attempt(doctor);
      if (outcome === "ok") return { value: value as T, doctor };
      if (outcome === "patient-overlap") {
        throw new ConflictError("PATIENT_OVERLAP", "You already have an appointment that overlaps this time");
      }
      if (outcome === "version-moved") throw versionConflict();
      if (outcome === "schedule-moved") throw new ScheduleMovedError();
      if (outcome === "doctor-taken") taken = true;
      else await backoff(retry);
    }
    if (taken && queue.length > 0) queue = await stillFree(queue);
  }
  throw new ConflictError("SLOT_TAKEN", "This time was just taken; pick another slot");
}

/** Doctors among `doctors` whose claims for [blockStart, blockEnd) are all still absent
 * (one strongly consistent batch read). */
export async function withoutClaims(db: Db, doctors: RankedDoctor[], blockStart: number, blockEnd: number, now: number) {
  const units = claimUnits(blockStart, blockEnd);
  const keys = doctors.flatMap((d) => units.map((unit) => ({ resource: doctorResource(d.doctorId), unit })));
  const { data } = await db.claim.get(keys).go({ consistent: true });
  // A lapsed hold's claim does not hold anyone (a booking may take it over).
  const held = new Set(data.filter((c) => c.holdUntil === undefined || c.holdUntil >= now).map((c) => c.resource));
  return doctors.filter((d) => !held.has(doctorResource(d.doctorId)));
}

/**
 * One booking-shaped transaction, laid out the way `classify` reads it back:
 * doctor claims taken, patient claims taken, the appointment write, then the rest
 * (released claims, the audit entry).
 */
export async function claimTransaction(
  db: Db,
  args: {
    appointmentId: string;
    blockEnd: number;
    now: number;
    /** Set for a hold's claims: when others may take them over. */
    holdUntil?: number;
    take: { doctor: ClaimKey[]; patient: ClaimKey[] };
    appointment: (tx: Tx) => TxOp;
    /** The doctor's schedule version the decision read (see `scheduleCheckItem`); none when
     * the change takes no new time (a cancellation). */
    schedule?: { doctorId: string; version: number | undefined };
    rest: (tx: Tx) => TxOp[];
  },
): Promise<TxOutcome> {
  const { doctor, patient } = args.take;
  const result = await db.service.transaction
    .write((tx) => [
      ...claimItems(tx, doctor, args.appointmentId, args.blockEnd, args.now, args.holdUntil),
      ...claimItems(tx, patient, args.appointmentId, args.blockEnd, args.now, args.holdUntil),
      args.appointment(tx),
      ...(args.schedule ? [scheduleCheckItem(tx, args.schedule.doctorId, args.schedule.version)] : []),
      ...args.rest(tx),
    ])
    .go();
  const nd = doctor.length;
  const np = patient.length;
  return classify(result, { doctor: [0, nd], patient: [nd, nd + np], appointment: nd + np, schedule: args.schedule ? nd + np + 1 : undefined });
}

/** The schedule version of a ranked doctor, as the decision's context read it. */
export function scheduleOfRanked(ctx: ScheduleContext, doctorId: string) {
  return { doctorId, version: ctx.doctors.find((d) => d.doctorId === doctorId)?.scheduleVersion };
}

/** A decision made on a schedule that changed before the write is made again (a few times). */
async function decidingAgainOnScheduleChange<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof ScheduleMovedError) || attempt >= 2) {
        if (error instanceof ScheduleMovedError) {
          throw new ConflictError("SCHEDULE_CHANGED", "The doctors' schedules are changing right now; try again");
        }
        throw error;
      }
    }
  }
}

export interface BookInput {
  regionId: string;
  patientId: string;
  actor: Actor;
  typeId: string;
  clinicId: string;
  start: number;
  reason?: string;
  now: number;
}

export async function bookAppointment(db: Db, input: BookInput): Promise<Appointment> {
  return decidingAgainOnScheduleChange(() => bookOnce(db, input));
}

async function bookOnce(db: Db, input: BookInput): Promise<Appointment> {
  const { ctx, ranked } = await rankFreeDoctors(db, input);

  const block = blockFor(input.start, ctx.rules);
  const end = input.start + ctx.rules.durationMinutes * MINUTE;
  const nowIso = toUtcIso(input.now);
  const status = ctx.type.requiresPrescreening ? "pending" : "booked";
  const appointmentId = randomUUID();
  // A type with pre-screening is held, not booked: a short hold first, which the workflow
  // extends once it has started (so a crash before the start frees the time soon).
  const hold = ctx.type.requiresPrescreening
    ? holdFor(ctx.type.prescreening, input.start, input.now)
    : undefined;

  const { value } = await tryDoctors(ranked, async (doctor) => {
    const appointment: Appointment = {
      appointmentId,
      regionId: input.regionId,
      clinicId: ctx.clinic.clinicId,
      typeId: ctx.type.typeId,
      patientId: input.patientId,
      doctorId: doctor.doctorId,
      doctorName: doctor.name,
      status,
      start: toUtcIso(input.start),
      end: toUtcIso(end),
      blockStart: toUtcIso(block.start),
      blockEnd: toUtcIso(block.end),
      timeZone: ctx.clinic.timeZone,
      reason: input.reason,
      assignment: { rule: doctor.rule, explanation: doctor.explanation, candidates: ranked.length },
      version: 1,
      history: [
        { at: nowIso, action: "booked", by: input.actor.id, status, start: toUtcIso(input.start), doctorId: doctor.doctorId },
      ],
      holdExpiresAt: hold ? toUtcIso(hold.until) : undefined,
      prescreening: hold?.state,
      createdAt: nowIso,
      updatedAt: nowIso,
    };
    const claims = planClaims({ doctorId: doctor.doctorId, patientId: input.patientId, blockStart: block.start, blockEnd: block.end, start: input.start, end });
    const outcome = await claimTransaction(db, {
      appointmentId,
      blockEnd: block.end,
      now: input.now,
      holdUntil: hold?.until,
      take: claims,
      appointment: (tx) => tx.appointment.create(appointment).commit(),
      schedule: scheduleOfRanked(ctx, doctor.doctorId),
      rest: (tx) => [
        auditItem(tx, appointment, `appointment.${status}`, input.actor, input.now, {
          start: appointment.start,
          doctorId: doctor.doctorId,
          assignment: appointment.assignment,
          holdExpiresAt: appointment.holdExpiresAt,
        }),
        eventItem(tx, appointment, status === "pending" ? "AppointmentPending" : "AppointmentBooked", input.now, {
          patientId: appointment.patientId,
          start: appointment.start,
          end: appointment.end,
          typeId: appointment.typeId,
          doctorId: appointment.doctorId,
          version: appointment.version,
        }),
        ...(hold
          ? [tx.hold.create({ regionId: appointment.regionId, holdExpiresAt: toUtcIso(hold.until), appointmentId, clinicId: appointment.clinicId }).commit()]
          : []),
      ],
    });
    return { outcome, value: appointment };
  }, (rest) => withoutClaims(db, rest, block.start, block.end, input.now));
  return value;
}

/** The first, short hold of a type with pre-screening and the deadlines it starts with. */
function holdFor(prescreening: unknown, start: number, now: number) {
  const parsed = prescreeningConfigSchema.safeParse(prescreening);
  if (!parsed.success) {
    throw new BusinessRuleError("PRESCREENING_NOT_CONFIGURED", "This visit type needs pre-screening but has no valid questionnaire yet; ask the clinic");
  }
  const config = parsed.data;
  const { answerBy, decideBy } = deadlinesFor(config, start, now);
  if (answerBy <= now) {
    throw new BusinessRuleError("TOO_LATE_FOR_PRESCREENING", "This visit type needs pre-screening, which no longer fits before that start; pick a later slot", {
      start: toUtcIso(start),
    });
  }
  const state: PrescreeningState = { state: "awaiting-answers", answerBy: toUtcIso(answerBy), decideBy: toUtcIso(decideBy) };
  // Whole seconds: the appointment's ISO expiry and the claims' epoch-ms expiry are the same instant.
  return { until: Math.ceil((now + INITIAL_HOLD_MS) / 1000) * 1000, state };
}

/**
 * Decides whether the caller may reach an appointment: returns it, or throws (404 — one you may
 * not see does not exist for you). The API passes the route's ownership rule
 * (functions/lib/auth.ts `Access`); `ownedBy` is the patient's own rule.
 */
export type AppointmentGuard = (appointment: Appointment | undefined, appointmentId: string) => Appointment;

export const ownedBy =
  (patientId: string): AppointmentGuard =>
  (a, appointmentId) => {
    if (!a || a.patientId !== patientId) throw new NotFoundError("Appointment", { appointmentId });
    return a;
  };

/** The appointment, if the guard lets the caller reach it. */
export async function loadAppointment(db: Db, appointmentId: string, guard: AppointmentGuard): Promise<Appointment> {
  const { data } = await db.appointment.get({ appointmentId }).go();
  return guard(data ?? undefined, appointmentId);
}

function assertChangeable(appointment: Appointment, now: number, verb: "cancel" | "reschedule") {
  if (appointment.status !== "pending" && appointment.status !== "booked") {
    throw new ConflictError("INVALID_STATE", `A ${appointment.status} appointment cannot be ${verb === "cancel" ? "cancelled" : "rescheduled"}`, {
      status: appointment.status,
    });
  }
  if (Date.parse(appointment.start) <= now) {
    throw new BusinessRuleError(
      verb === "cancel" ? "CANCEL_AFTER_START" : "RESCHEDULE_AFTER_START",
      `The appointment has already started; it can no longer be ${verb === "cancel" ? "cancelled" : "rescheduled"} here`,
    );
  }
}

export interface RescheduleInput {
  guard: AppointmentGuard;
  actor: Actor;
  appointmentId: string;
  start: number;
  now: number;
}

/**
 * Moves an appointment in one transaction: new claims taken, old ones released, the
 * appointment updated on its version, an audit entry — all of it or nothing.
 */
export async function rescheduleAppointment(db: Db, input: RescheduleInput): Promise<Appointment> {
  return decidingAgainOnScheduleChange(() => rescheduleOnce(db, input));
}

async function rescheduleOnce(db: Db, input: RescheduleInput): Promise<Appointment> {
  const current = await loadAppointment(db, input.appointmentId, input.guard);
  assertChangeable(current, input.now, "reschedule");
  if (current.status === "pending") {
    // A hold's claims lapse and its workflow waits on this exact time: moving it would
    // mean moving the workflow too. Cancel and book again instead.
    throw new ConflictError("PRESCREENING_IN_PROGRESS", "This appointment is waiting for pre-screening; cancel it and book another time instead", {
      status: current.status,
    });
  }
  if (Date.parse(current.start) === input.start) {
    throw new BusinessRuleError("UNCHANGED", "The appointment already starts at that time");
  }
  const { ctx, ranked } = await rankFreeDoctors(db, {
    regionId: current.regionId,
    typeId: current.typeId,
    clinicId: current.clinicId,
    patientId: current.patientId,
    start: input.start,
    now: input.now,
    moving: current,
  });

  const block = blockFor(input.start, ctx.rules);
  const end = input.start + ctx.rules.durationMinutes * MINUTE;
  const nowIso = toUtcIso(input.now);
  const before = claimsOf(current);

  const { value } = await tryDoctors(ranked, async (doctor) => {
    const after = planClaims({ doctorId: doctor.doctorId, patientId: current.patientId, blockStart: block.start, blockEnd: block.end, start: input.start, end });
    const doctorDiff = diffClaims(before.doctor, after.doctor);
    const patientDiff = diffClaims(before.patient, after.patient);
    const changes = {
      doctorId: doctor.doctorId,
      doctorName: doctor.name,
      start: toUtcIso(input.start),
      end: toUtcIso(end),
      blockStart: toUtcIso(block.start),
      blockEnd: toUtcIso(block.end),
      assignment: { rule: doctor.rule, explanation: doctor.explanation, candidates: ranked.length },
      version: current.version + 1,
      updatedAt: nowIso,
    };
    const entry = { at: nowIso, action: "rescheduled", by: input.actor.id, status: current.status, start: changes.start, doctorId: doctor.doctorId };
    const outcome = await claimTransaction(db, {
      appointmentId: current.appointmentId,
      blockEnd: block.end,
      now: input.now,
      take: { doctor: doctorDiff.take, patient: patientDiff.take },
      appointment: (tx) =>
        tx.appointment
          .patch({ appointmentId: current.appointmentId })
          // A new time answers a "please pick another time" (a map emptied; ElectroDB has no
          // conditional remove in a chain, and an empty remove list is an invalid expression).
          .set({ ...changes, ...(current.needsReschedule ? { needsReschedule: null } : {}) })
          .append({ history: [entry] })
          .where((attr, op) => op.eq(attr.version, current.version))
          .commit(),
      schedule: scheduleOfRanked(ctx, doctor.doctorId),
      rest: (tx) => [
        ...releaseItems(tx, [...doctorDiff.release, ...patientDiff.release], current.appointmentId),
        auditItem(tx, current, "appointment.rescheduled", input.actor, input.now, {
          from: current.start,
          to: changes.start,
          fromDoctorId: current.doctorId,
          toDoctorId: doctor.doctorId,
        }),
        eventItem(tx, current, "AppointmentRescheduled", input.now, {
          patientId: current.patientId,
          from: current.start,
          fromEnd: current.end,
          start: changes.start,
          end: changes.end,
          doctorId: doctor.doctorId,
          version: changes.version,
        }),
      ],
    });
    return { outcome, value: { ...current, ...changes, needsReschedule: undefined, history: [...current.history, entry] } as Appointment };
  }, async (rest) => {
    // The current doctor's own claims would read as taken; only other doctors are probed.
    const others = rest.filter((d) => d.doctorId !== current.doctorId);
    const free = await withoutClaims(db, others, block.start, block.end, input.now);
    return rest.filter((d) => d.doctorId === current.doctorId || free.includes(d));
  });
  return value;
}

export interface CancelInput {
  guard: AppointmentGuard;
  actor: Actor;
  appointmentId: string;
  reason?: string;
  now: number;
}

/** Cancels and releases every claim in the same transaction, on the version read. */
export async function cancelAppointment(db: Db, input: CancelInput): Promise<{ appointment: Appointment; taskToken?: string }> {
  if (input.actor.role === "support" && !input.reason) {
    throw new ValidationError("Support cancels on a patient's behalf only with a reason", [{ path: "reason", message: "required when support cancels", code: "custom" }], "REASON_REQUIRED");
  }
  const current = await loadAppointment(db, input.appointmentId, input.guard);
  assertChangeable(current, input.now, "cancel");
  if (current.status === "pending") {
    // A hold is released the way its workflow releases it (some claims may have lapsed).
    const released = await releaseHold(db, {
      appointmentId: current.appointmentId,
      reason: input.reason ?? "cancelled",
      actor: input.actor,
      now: input.now,
    });
    if (!released) throw versionConflict();
    return released;
  }
  const nowIso = toUtcIso(input.now);
  const claims = claimsOf(current);
  const entry = { at: nowIso, action: "cancelled", by: input.actor.id, status: "cancelled", note: input.reason };
  // Ended: kept the region's retention, then TTL hands it to the archive (archive/retention.ts).
  const expiresAt = archiveAfter(current.end, await retentionDaysOf(db, current.regionId), input.now);
  const outcome = await claimTransaction(db, {
    appointmentId: current.appointmentId,
    blockEnd: Date.parse(current.blockEnd),
    now: input.now,
    take: { doctor: [], patient: [] },
    appointment: (tx) =>
      tx.appointment
        .patch({ appointmentId: current.appointmentId })
        .set({ status: "cancelled", version: current.version + 1, updatedAt: nowIso, cancelReason: input.reason, expiresAt })
        .append({ history: [entry] })
        .where((attr, op) => op.eq(attr.version, current.version))
        .commit(),
    rest: (tx) => [
      ...releaseItems(tx, [...claims.doctor, ...claims.patient], current.appointmentId),
      auditItem(tx, current, "appointment.cancelled", input.actor, input.now, { reason: input.reason }),
      eventItem(tx, current, "AppointmentCancelled", input.now, {
        patientId: current.patientId,
        start: current.start,
        reason: input.reason ?? "cancelled",
        version: current.version + 1,
        previousStatus: current.status === "pending" ? "pending" : "booked",
      }),
    ],
  });
  if (outcome === "version-moved") throw versionConflict();
  if (outcome === "conflict") {
    throw new ConflictError("REQUEST_CONFLICT", "The appointment is being changed by another request; try again");
  }
  return {
    appointment: { ...current, status: "cancelled", version: current.version + 1, updatedAt: nowIso, cancelReason: input.reason, expiresAt, history: [...current.history, entry] },
  };
}

export interface SearchInput {
  regionId: string;
  typeId: string;
  clinicId: string;
  fromDate: string;
  toDate: string;
  now: number;
}

export async function searchSlots(db: Db, input: SearchInput) {
  const ctx = await loadScheduleContext(db, {
    now: input.now,
    regionId: input.regionId,
    typeId: input.typeId,
    clinicId: input.clinicId,
    windowStart: Date.parse(input.fromDate),
    windowEnd: Date.parse(input.toDate),
  });
  const slots = computeSlots({
    timeZone: ctx.clinic.timeZone,
    rules: ctx.rules,
    doctors: ctx.doctors.map(scheduleOf),
    busy: contextBusy(ctx),
    fromDate: input.fromDate,
    toDate: input.toDate,
    now: input.now,
  });
  return { clinic: ctx.clinic, type: ctx.type, slots };
}

export interface ListInput {
  patientId: string;
  status?: Appointment["status"];
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export async function listOwnAppointments(db: Db, input: ListInput) {
  const query = db.appointment.query.byPatient({ patientId: input.patientId });
  const ranged =
    input.from && input.to
      ? query.between({ start: input.from }, { start: input.to })
      : input.from
        ? query.gte({ start: input.from })
        : input.to
          ? query.lt({ start: input.to })
          : query;
  const filtered = input.status ? ranged.where((attr, op) => op.eq(attr.status, input.status!)) : ranged;
  try {
    return await filtered.go({ limit: input.limit, cursor: input.cursor ?? null, order: "asc" });
  } catch (error) {
    // A cursor is opaque to clients; one that ElectroDB cannot parse, or whose key DynamoDB
    // rejects for this patient's partition, is bad input, not a server fault.
    const e = error as { isElectroError?: boolean; name?: string; cause?: { name?: string } };
    const rejected = e.isElectroError || e.name === "ValidationException" || e.cause?.name === "ValidationException";
    if (input.cursor && rejected) {
      throw new ValidationError("The cursor is not valid for this list", undefined, "INVALID_CURSOR");
    }
    throw error;
  }
}
