/**
 * Moving appointments off a doctor who can no longer see the patients then (approved leave,
 * working hours changed, the doctor deactivated).
 *
 * The caller first commits the doctor's new schedule (bumping `scheduleVersion`), so no booking
 * can land in that time any more; then each appointment that no longer fits is, in one
 * transaction of its own:
 * - re-assigned to another qualified doctor who works and is free at exactly that time (ranked
 *   by the booking's assignment rules: continuity, language, load): the new doctor's claims
 *   taken, the old doctor's released, the appointment moved on its version, audit entry and
 *   `AppointmentReassigned` event — or nothing; or
 * - if no one is free, marked `needsReschedule` with the three nearest free slots of its type
 *   at its clinic, audit entry and `AppointmentNeedsReschedule` event (the patient is told and
 *   picks a time; nothing is cancelled behind their back).
 * Running it again finds only what is still left: it is safe to repeat after a crash.
 */
import type { Appointment, Db, Doctor } from "../entities";
import { NotFoundError } from "../errors";
import { computeSlots, localDateOf, toUtcIso, worksThrough } from "../schedule/slots";
import { rankDoctors } from "./assignment";
import {
  assignmentContext,
  claimTransaction,
  loadPatientHistory,
  scheduleOfRanked,
  toCandidates,
  tryDoctors,
  withoutClaims,
} from "./booking";
import { doctorResource } from "./claims";
import { contextBusy, holdsTime, loadScheduleContext, scheduleOf, type ScheduleContext } from "./context";
import { auditItem, claimsOf, eventItem, releaseItems, ScheduleMovedError, type Actor } from "./tx";

export type ReassignReason = "leave" | "availability" | "deactivated";

const DAY = 24 * 3600_000;
/** How far around the original start the offered slots are looked for. */
const OFFER_WINDOW_DAYS = 14;
const OFFERS = 3;

export interface ReassignOutcome {
  reassigned: Array<{ appointmentId: string; start: string; toDoctorId: string }>;
  needsReschedule: Array<{ appointmentId: string; start: string; offers: Array<{ start: string; end: string }> }>;
}

/**
 * The doctor's future appointments (from `from`, or now) that hold time and no longer fit
 * (`fits` false), moved as described above.
 */
export async function moveOffDoctor(
  db: Db,
  input: {
    doctorId: string;
    fits: (a: Appointment) => boolean;
    from?: number;
    to?: number;
    reason: ReassignReason;
    actor: Actor;
    now: number;
  },
): Promise<ReassignOutcome> {
  const from = toUtcIso(Math.max(input.from ?? input.now, input.now) - DAY);
  const query = db.appointment.query.byDoctor({ doctorId: input.doctorId });
  const { data } = await (input.to !== undefined
    ? query.between({ start: from }, { start: toUtcIso(input.to) })
    : query.gte({ start: from })
  ).go({ pages: "all" });
  const affected = data.filter(
    (a) => holdsTime(a, input.now) && Date.parse(a.start) > input.now && !a.needsReschedule && !input.fits(a),
  );
  const outcome: ReassignOutcome = { reassigned: [], needsReschedule: [] };
  // One at a time: each move changes who is free for the next.
  for (const a of affected) {
    const moved = await reassignOne(db, a, input);
    if (moved.kind === "reassigned") outcome.reassigned.push({ appointmentId: a.appointmentId, start: a.start, toDoctorId: moved.doctorId });
    else if (moved.kind === "needs-reschedule") outcome.needsReschedule.push({ appointmentId: a.appointmentId, start: a.start, offers: moved.offers });
  }
  return outcome;
}

type Moved =
  | { kind: "reassigned"; doctorId: string }
  | { kind: "needs-reschedule"; offers: Array<{ start: string; end: string }> }
  | { kind: "gone" };

/** Doctors of the context, other than `except`, who work through the block and are free for it. */
function replacements(ctx: ScheduleContext, a: Appointment, except: string): Doctor[] {
  const block = { start: Date.parse(a.blockStart), end: Date.parse(a.blockEnd) };
  const busy = contextBusy(ctx, a.appointmentId);
  return ctx.doctors.filter(
    (d) =>
      d.doctorId !== except &&
      worksThrough(scheduleOf(d), block, ctx.clinic.timeZone) &&
      !busy.some((b) => b.doctorId === d.doctorId && b.start < block.end && block.start < b.end),
  );
}

async function reassignOne(db: Db, a: Appointment, input: { reason: ReassignReason; actor: Actor; now: number }, attempt = 0): Promise<Moved> {
  const start = Date.parse(a.start);
  let loaded: [ScheduleContext, Awaited<ReturnType<typeof loadPatientHistory>>];
  try {
    loaded = await Promise.all([
      loadScheduleContext(db, { regionId: a.regionId, typeId: a.typeId, clinicId: a.clinicId, windowStart: start, windowEnd: start, now: input.now }),
      loadPatientHistory(db, a.patientId, input.now),
    ]);
  } catch (error) {
    // Its type or clinic was deactivated (or the profile is gone): no one can take it over here,
    // and there is nothing to offer; the patient is asked to choose.
    if (!(error instanceof NotFoundError)) throw error;
    return markNeedsReschedule(db, a, undefined, input);
  }
  const [ctx, history] = loaded;
  const free = replacements(ctx, a, a.doctorId);
  const ranked = rankDoctors(toCandidates(free), assignmentContext(ctx, history, start));
  const before = claimsOf(a);
  const holdUntil = a.status === "pending" && a.holdExpiresAt ? Date.parse(a.holdExpiresAt) : undefined;
  const nowIso = toUtcIso(input.now);
  try {
    const { doctor } = await tryDoctors(
      ranked,
      async (doctor) => {
        const take = before.doctor.map((c) => ({ ...c, resource: doctorResource(doctor.doctorId) }));
        const entry = { at: nowIso, action: "reassigned", by: input.actor.id, status: a.status, start: a.start, doctorId: doctor.doctorId, note: input.reason };
        const outcome = await claimTransaction(db, {
          appointmentId: a.appointmentId,
          blockEnd: Date.parse(a.blockEnd),
          now: input.now,
          holdUntil,
          take: { doctor: take, patient: [] },
          appointment: (tx) =>
            tx.appointment
              .patch({ appointmentId: a.appointmentId })
              .set({
                doctorId: doctor.doctorId,
                doctorName: doctor.name,
                assignment: { rule: doctor.rule, explanation: doctor.explanation, candidates: ranked.length },
                version: a.version + 1,
                updatedAt: nowIso,
              })
              .append({ history: [entry] })
              .where((attr, op) => `${op.eq(attr.version, a.version)} AND ${op.eq(attr.doctorId, a.doctorId)}`)
              .commit(),
          schedule: scheduleOfRanked(ctx, doctor.doctorId),
          rest: (tx) => [
            ...releaseItems(tx, before.doctor, a.appointmentId),
            auditItem(tx, a, "appointment.reassigned", input.actor, input.now, { fromDoctorId: a.doctorId, toDoctorId: doctor.doctorId, reason: input.reason }),
            eventItem(tx, a, "AppointmentReassigned", input.now, {
              patientId: a.patientId,
              start: a.start,
              end: a.end,
              fromDoctorId: a.doctorId,
              doctorId: doctor.doctorId,
              version: a.version + 1,
              reason: input.reason,
            }),
          ],
        });
        return { outcome };
      },
      (rest) => withoutClaims(db, rest, Date.parse(a.blockStart), Date.parse(a.blockEnd), input.now),
    );
    return { kind: "reassigned", doctorId: doctor.doctorId };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "VERSION_CONFLICT" || error instanceof ScheduleMovedError) {
      // The appointment or a candidate's schedule changed meanwhile: read again and decide again.
      const { data: fresh } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
      if (!fresh || fresh.doctorId !== a.doctorId || !holdsTime(fresh, input.now) || attempt >= 3) return { kind: "gone" };
      return reassignOne(db, fresh, input, attempt + 1);
    }
    if (code !== "SLOT_TAKEN") throw error;
  }
  return markNeedsReschedule(db, a, ctx, input);
}

/** The nearest free starts of the appointment's type at its clinic (before or after it). */
function nearestOffers(ctx: ScheduleContext, a: Appointment, now: number) {
  const start = Date.parse(a.start);
  const tz = ctx.clinic.timeZone;
  const slots = computeSlots({
    timeZone: tz,
    rules: ctx.rules,
    doctors: ctx.doctors.map(scheduleOf),
    busy: contextBusy(ctx),
    fromDate: localDateOf(Math.max(now, start - OFFER_WINDOW_DAYS * DAY), tz),
    toDate: localDateOf(start + OFFER_WINDOW_DAYS * DAY, tz),
    now,
  });
  return slots
    .filter((s) => s.start !== start)
    .sort((x, y) => Math.abs(x.start - start) - Math.abs(y.start - start) || x.start - y.start)
    .slice(0, OFFERS)
    .sort((x, y) => x.start - y.start)
    .map((s) => ({ start: toUtcIso(s.start), end: toUtcIso(s.end) }));
}

async function markNeedsReschedule(db: Db, a: Appointment, narrow: ScheduleContext | undefined, input: { reason: ReassignReason; actor: Actor; now: number }): Promise<Moved> {
  const start = Date.parse(a.start);
  // The offers need the clinic's appointments over the whole window, not just that start.
  const ctx = await loadScheduleContext(db, {
    regionId: a.regionId,
    typeId: a.typeId,
    clinicId: a.clinicId,
    windowStart: Math.max(input.now, start - OFFER_WINDOW_DAYS * DAY),
    windowEnd: start + OFFER_WINDOW_DAYS * DAY,
    now: input.now,
  }).catch(() => narrow);
  const offers = ctx ? nearestOffers(ctx, a, input.now) : [];
  const nowIso = toUtcIso(input.now);
  const flag = { reason: input.reason, at: nowIso, offers };
  const entry = { at: nowIso, action: "needs-reschedule", by: input.actor.id, status: a.status, note: input.reason };
  const result = await db.service.transaction
    .write((tx) => [
      tx.appointment
        .patch({ appointmentId: a.appointmentId })
        .set({ needsReschedule: flag, version: a.version + 1, updatedAt: nowIso })
        .append({ history: [entry] })
        .where((attr, op) => `${op.eq(attr.version, a.version)} AND ${op.eq(attr.doctorId, a.doctorId)}`)
        .commit(),
      auditItem(tx, a, "appointment.needs-reschedule", input.actor, input.now, { reason: input.reason, offers }),
      eventItem(tx, a, "AppointmentNeedsReschedule", input.now, {
        patientId: a.patientId,
        start: a.start,
        doctorId: a.doctorId,
        version: a.version + 1,
        reason: input.reason,
        offers,
      }),
    ])
    .go();
  if (result.canceled) return { kind: "gone" };
  return { kind: "needs-reschedule", offers };
}

