/**
 * Holds and pre-screening: what the pre-screening workflow (functions/workflows/prescreening.ts)
 * and the pre-screening routes do to a held appointment. Every transition is one transaction
 * conditioned on the appointment's version, with its audit entry and domain event inside it.
 *
 * A hold is an appointment in status `pending` whose claims carry `holdUntil`: until then no
 * one else can take the time; after it, slot search shows the time free and a booking may
 * take the claims over (see tx.ts `claimItems`). Releasing a hold therefore deletes only the
 * claims that are still its own.
 */
import type { AppointmentGuard } from "./booking";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { Appointment, Db } from "../entities";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { HOLD_GRACE_MS, parsePrescreeningConfig, slaDueFrom } from "../prescreening/config";
import { answersSchema } from "../prescreening/questionnaire";
import { decisions, prescreeningStateSchema, type Decision, type PrescreeningState } from "../prescreening/state";
import { toUtcIso } from "../schedule/slots";
import { archiveAfter, retentionDaysOf } from "../archive/retention";
import type { ClaimKey } from "./claims";
import { auditItem, claimsOf, eventItem, releaseItems, SWEEPER_ACTOR, WORKFLOW_ACTOR, type Actor, type Tx, type TxOp } from "./tx";

/** Nothing left for the workflow to do: the appointment is no longer held (cancelled,
 * swept, or already past this step). Its name is what the state machine's Catch matches. */
export class HoldGoneError extends Error {
  override name = "Carebook.HoldGone";
}

/** The hold cannot become a booking: it lapsed (and its time may have been taken). */
export class HoldLostError extends Error {
  override name = "Carebook.HoldLost";
}

/** A write lost a race it should retry (the workflow's Retry matches this name). */
export class TransientError extends Error {
  override name = "Carebook.Transient";
}

const MAX_ATTEMPTS = 5;

async function read(db: Db, appointmentId: string): Promise<Appointment | undefined> {
  const { data } = await db.appointment.get({ appointmentId }).go({ consistent: true });
  return data ?? undefined;
}

function stateOf(a: Appointment): PrescreeningState | undefined {
  return a.prescreening === undefined ? undefined : prescreeningStateSchema.parse(a.prescreening);
}

const lapsed = (a: Appointment, now: number) => a.holdExpiresAt !== undefined && Date.parse(a.holdExpiresAt) <= now;

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** The held appointment a workflow step works on, or HoldGone. */
async function heldFor(db: Db, appointmentId: string, expected: PrescreeningState["state"][]) {
  const a = await read(db, appointmentId);
  const state = a && stateOf(a);
  if (!a || a.status !== "pending" || !state || !expected.includes(state.state)) {
    throw new HoldGoneError(`appointment ${appointmentId} is not held awaiting ${expected.join("/")}`);
  }
  return { a, state };
}

/** What one attempt decided: its result, and the transaction that makes it true (none when
 * there is nothing to write). */
interface Step<T> {
  result: T;
  ops?: (tx: Tx) => TxOp[];
}

/** Runs an optimistic read-decide-write, re-reading after a lost race (the conditions in
 * `ops` are the guarantee; the retry only saves the caller a round trip). */
async function retrying<T>(db: Db, attempt: () => Promise<Step<T>>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const step = await attempt();
    if (!step.ops) return step.result;
    const outcome = await db.service.transaction.write(step.ops).go();
    if (!outcome.canceled) return step.result;
    await sleep(20 * 2 ** i + Math.random() * 20);
  }
  throw new TransientError("the appointment kept changing; try again");
}

/** The appointment patch every transition starts with: on the version read, version + 1. */
function patchAppointment(tx: Tx, a: Appointment, set: Partial<Appointment>, nowIso: string, remove: Array<keyof Appointment> = []) {
  const patch = tx.appointment
    .patch({ appointmentId: a.appointmentId })
    .set({ ...set, version: a.version + 1, updatedAt: nowIso });
  const removed = remove.length > 0 ? patch.remove(remove as never) : patch;
  return removed.where((attr, op) => op.eq(attr.version, a.version)).commit();
}

function holdKey(a: Appointment) {
  return { regionId: a.regionId, holdExpiresAt: a.holdExpiresAt!, appointmentId: a.appointmentId };
}

function screeningKey(a: Appointment, state: PrescreeningState) {
  return { clinicId: a.clinicId, state: "pending" as const, queuedAt: state.submittedAt!, appointmentId: a.appointmentId };
}

function allClaims(a: Appointment): ClaimKey[] {
  const { doctor, patient } = claimsOf(a);
  return [...doctor, ...patient];
}

/**
 * Workflow step `begin`: the hold outlives the short booking hold and lasts until the nurse's
 * deadline (plus grace); answers how long the patient has to answer.
 */
export async function beginPrescreening(db: Db, input: { appointmentId: string; now: number }) {
  return retrying(db, async () => {
    const { a, state } = await heldFor(db, input.appointmentId, ["awaiting-answers", "awaiting-decision", "approved", "rejected"]);
    if (lapsed(a, input.now)) throw new HoldGoneError("the hold lapsed before the workflow began");
    const stage = stageOf(state);
    const result = { waitSeconds: seconds(Date.parse(state.answerBy) - input.now), answerBy: state.answerBy, stage };
    const until = Date.parse(state.decideBy) + HOLD_GRACE_MS;
    const untilIso = toUtcIso(until);
    if (a.holdExpiresAt === untilIso) return { result }; // a retried step, or a resumed execution
    const nowIso = toUtcIso(input.now);
    return {
      result,
      ops: (tx: Tx) => [
        patchAppointment(tx, a, { holdExpiresAt: untilIso }, nowIso),
        ...allClaims(a).map((c) =>
          tx.claim.patch(c).set({ holdUntil: until }).where((attr, op) => op.eq(attr.appointmentId, a.appointmentId)).commit(),
        ),
        tx.hold.delete(holdKey(a)).commit(),
        tx.hold.create({ ...holdKey(a), holdExpiresAt: untilIso, clinicId: a.clinicId }).commit(),
        auditItem(tx, a, "prescreening.started", WORKFLOW_ACTOR, input.now, { answerBy: state.answerBy, holdExpiresAt: untilIso }),
        eventItem(tx, a, "PreScreeningRequested", input.now, { patientId: a.patientId, answerBy: state.answerBy, start: a.start }),
      ],
    };
  });
}

/** Where an execution (re)starting for this hold continues (the definition's ResumeAt). */
function stageOf(state: PrescreeningState): "answers" | "decision" | "approved" | "rejected" {
  switch (state.state) {
    case "awaiting-decision":
      return "decision";
    case "approved":
    case "rejected":
      return state.state;
    default:
      return "answers";
  }
}

/** Workflow step `await`: keeps the waiting task's token with the appointment (never shown). */
export async function storeTaskToken(db: Db, input: { appointmentId: string; stage: "answers" | "decision"; taskToken: string }) {
  return retrying(db, async () => {
    const { a } = await heldFor(db, input.appointmentId, [input.stage === "answers" ? "awaiting-answers" : "awaiting-decision"]);
    return {
      result: { stored: true },
      // No version bump: the token is plumbing, not a change anyone else acts on.
      ops: (tx: Tx) => [
        tx.appointment
          .patch({ appointmentId: a.appointmentId })
          .set({ taskToken: input.taskToken, taskTokenStage: input.stage })
          .where((attr, op) => op.eq(attr.version, a.version))
          .commit(),
      ],
    };
  });
}

/** Workflow step `plan-decision`: wait for the nurse until the SLA, or once it is missed (and
 * escalated) until the final deadline. */
export async function planDecision(db: Db, input: { appointmentId: string; now: number }) {
  const { state } = await heldFor(db, input.appointmentId, ["awaiting-decision"]);
  const sla = Date.parse(state.slaDueAt!);
  if (input.now < sla) return { phase: "sla" as const, waitSeconds: seconds(sla - input.now), until: state.slaDueAt };
  return { phase: "final" as const, waitSeconds: seconds(Date.parse(state.decideBy) - input.now), until: state.decideBy };
}

/** Workflow step `escalate`: the nurse SLA passed without a decision. */
export async function escalatePrescreening(db: Db, input: { appointmentId: string; now: number }) {
  return retrying(db, async () => {
    const { a, state } = await heldFor(db, input.appointmentId, ["awaiting-decision"]);
    const nowIso = toUtcIso(input.now);
    const next: PrescreeningState = { ...state, escalatedAt: nowIso };
    return {
      result: { escalatedAt: nowIso },
      ops: (tx: Tx) => [
        patchAppointment(tx, a, { prescreening: next }, nowIso),
        tx.screening.patch(screeningKey(a, state)).set({ escalatedAt: nowIso }).commit(),
        auditItem(tx, a, "prescreening.escalated", WORKFLOW_ACTOR, input.now, { slaDueAt: state.slaDueAt, decideBy: state.decideBy }),
        eventItem(tx, a, "PreScreeningEscalated", input.now, {
          audience: ["nurse", "admin"],
          slaDueAt: state.slaDueAt!,
          decideBy: state.decideBy,
          start: a.start,
        }),
      ],
    };
  });
}

/** Workflow step `confirm`: the approved hold becomes a booking — status booked, claims
 * permanent (no `holdUntil`), hold item gone — or HoldLost if it lapsed meanwhile. */
export async function confirmHold(db: Db, input: { appointmentId: string; now: number }) {
  return retrying(db, async () => {
    const a = await read(db, input.appointmentId);
    const state = a && stateOf(a);
    if (a && a.status === "booked" && state?.state === "approved") return { result: { version: a.version } }; // retried step
    if (!a || a.status !== "pending" || state?.state !== "approved") {
      throw new HoldGoneError(`appointment ${input.appointmentId} is not an approved hold`);
    }
    if (lapsed(a, input.now)) throw new HoldLostError("the hold lapsed before it was confirmed");
    // Each claim must still be ours; if the hold had lapsed and someone took a unit, fail.
    const claims = allClaims(a);
    const { data } = await db.claim.get(claims).go({ consistent: true });
    if (data.length !== claims.length || data.some((c) => c.appointmentId !== a.appointmentId)) {
      throw new HoldLostError("the held time is no longer this appointment's");
    }
    const nowIso = toUtcIso(input.now);
    return {
      result: { version: a.version + 1 },
      ops: (tx: Tx) => [
        ...claims.map((c) =>
          tx.claim.patch(c).remove(["holdUntil"]).where((attr, op) => op.eq(attr.appointmentId, a.appointmentId)).commit(),
        ),
        patchAppointment(
          tx,
          a,
          { status: "booked" },
          nowIso,
          ["holdExpiresAt", "taskToken", "taskTokenStage"],
        ),
        tx.hold.delete(holdKey(a)).commit(),
        auditItem(tx, a, "appointment.booked", WORKFLOW_ACTOR, input.now, { after: "prescreening", decidedBy: state.decidedBy }),
        eventItem(tx, a, "AppointmentBooked", input.now, {
          patientId: a.patientId,
          start: a.start,
          end: a.end,
          typeId: a.typeId,
          doctorId: a.doctorId,
          version: a.version + 1,
        }),
      ],
    };
  });
}

/**
 * Releases a hold: status cancelled with the reason, its own claims deleted (a lapsed hold's
 * units may already belong to someone else), hold and queue items gone, audit and event —
 * one transaction. Undefined when the appointment is no longer held (nothing to do).
 * `onlyIfLapsed` is the sweeper's guard: it never releases a hold that was just extended.
 */
export async function releaseHold(
  db: Db,
  input: { appointmentId: string; reason: string; actor: Actor; now: number; onlyIfLapsed?: boolean },
): Promise<{ appointment: Appointment; taskToken?: string } | undefined> {
  return retrying(db, async () => {
    const a = await read(db, input.appointmentId);
    if (!a || a.status !== "pending") return { result: undefined };
    if (input.onlyIfLapsed && !lapsed(a, input.now)) return { result: undefined };
    const state = stateOf(a);
    const claims = allClaims(a);
    const { data } = await db.claim.get(claims).go({ consistent: true });
    const ours = data.filter((c) => c.appointmentId === a.appointmentId).map((c) => ({ resource: c.resource, unit: c.unit }));
    const nowIso = toUtcIso(input.now);
    const next = state && { ...state, state: "released" as const, releasedReason: input.reason };
    const entry = { at: nowIso, action: "cancelled", by: input.actor.id, status: "cancelled", note: input.reason };
    // Ended: kept the region's retention, then TTL hands it to the archive (archive/retention.ts).
    const expiresAt = archiveAfter(a.end, await retentionDaysOf(db, a.regionId), input.now);
    const appointment: Appointment = {
      ...a,
      status: "cancelled",
      cancelReason: input.reason,
      expiresAt,
      prescreening: next,
      version: a.version + 1,
      updatedAt: nowIso,
      history: [...a.history, entry],
      holdExpiresAt: undefined,
      taskToken: undefined,
      taskTokenStage: undefined,
    };
    return {
      result: { appointment, taskToken: a.taskToken },
      ops: (tx: Tx) => [
        tx.appointment
          .patch({ appointmentId: a.appointmentId })
          .set({ status: "cancelled", cancelReason: input.reason, version: a.version + 1, updatedAt: nowIso, expiresAt, ...(next ? { prescreening: next } : {}) })
          .append({ history: [entry] })
          .remove(["holdExpiresAt", "taskToken", "taskTokenStage"])
          .where((attr, op) => op.eq(attr.version, a.version))
          .commit(),
        ...releaseItems(tx, ours, a.appointmentId),
        ...(a.holdExpiresAt ? [tx.hold.delete(holdKey(a)).commit()] : []),
        ...(state?.state === "awaiting-decision" && state.submittedAt ? [tx.screening.delete(screeningKey(a, state)).commit()] : []),
        auditItem(tx, a, "appointment.cancelled", input.actor, input.now, { reason: input.reason, hold: true }),
        eventItem(tx, a, "AppointmentCancelled", input.now, {
          patientId: a.patientId,
          start: a.start,
          reason: input.reason,
          version: a.version + 1,
          previousStatus: "pending",
        }),
      ],
    };
  });
}

/** Releases every hold of the region that lapsed before `now` (the scheduled sweeper). */
export async function sweepExpiredHolds(db: Db, input: { regionId: string; now: number }) {
  const { data } = await db.hold.query
    .byRegion({ regionId: input.regionId })
    .lt({ holdExpiresAt: toUtcIso(input.now) })
    .go({ pages: "all" });
  let released = 0;
  for (const hold of data) {
    const result = await releaseHold(db, {
      appointmentId: hold.appointmentId,
      reason: "hold-expired",
      actor: SWEEPER_ACTOR,
      now: input.now,
      onlyIfLapsed: true,
    });
    if (result) released++;
    else {
      // The appointment moved on (booked, cancelled, or extended): drop a stale hold item only
      // if it is no longer the appointment's current hold.
      const a = await read(db, hold.appointmentId);
      if (!a || a.status !== "pending" || a.holdExpiresAt !== hold.holdExpiresAt) {
        await db.hold.delete({ regionId: hold.regionId, holdExpiresAt: hold.holdExpiresAt, appointmentId: hold.appointmentId }).go();
      }
    }
  }
  return { examined: data.length, released };
}

// ---- The routes' side: the patient answers, a nurse decides ----

/** The workflow stores its task token a moment after the previous step; a request that
 * arrives in that moment waits for it (briefly) instead of failing. */
const TOKEN_WAIT_MS = 3000;

async function waitForToken(db: Db, appointmentId: string, stage: "answers" | "decision", first: Appointment) {
  let a: Appointment | undefined = first;
  const deadline = Date.now() + TOKEN_WAIT_MS;
  while (a && a.status === "pending" && !(a.taskToken && a.taskTokenStage === stage)) {
    if (Date.now() >= deadline) {
      throw new ConflictError("PRESCREENING_STARTING", "Pre-screening is still being set up; try again in a moment");
    }
    await sleep(100);
    a = await read(db, appointmentId);
  }
  return a;
}

function assertOpen(a: Appointment, state: PrescreeningState | undefined, expected: PrescreeningState["state"], now: number) {
  if (a.status !== "pending" || !state) {
    throw new ConflictError("NOT_PENDING", `A ${a.status} appointment has no open pre-screening`, { status: a.status });
  }
  if (state.state !== expected) {
    throw new ConflictError("PRESCREENING_STATE", `Pre-screening is ${state.state}, not ${expected}`, { state: state.state });
  }
  if (lapsed(a, now) || (expected === "awaiting-answers" && Date.parse(state.answerBy) <= now)) {
    throw new ConflictError("PRESCREENING_CLOSED", "The time for this step has passed; the hold is being released");
  }
}

export async function prescreeningConfigFor(db: Db, typeId: string) {
  const { data: type } = await db.appointmentType.get({ typeId }).go();
  if (!type?.prescreening) throw new NotFoundError("Questionnaire", { typeId });
  return parsePrescreeningConfig(type.prescreening);
}

/**
 * What a person's answer or decision resumes the workflow with (the task's output). The task
 * token is the one arbiter between a person and a timeout: the request only validates and
 * signals; the workflow's next step records it. A signal that arrives after the timeout
 * fails (TaskTimedOut) and nothing is written — there is no moment where both happen.
 */
export const submissionSchema = z.object({
  answers: z.record(z.string(), z.unknown()),
  submittedAt: z.string(),
  actor: z.object({ id: z.string(), role: z.string() }),
});
export type Submission = z.infer<typeof submissionSchema>;

export const decisionSignalSchema = z.object({
  decision: z.enum(decisions),
  note: z.string().optional(),
  decidedAt: z.string(),
  actor: z.object({ id: z.string(), role: z.string() }),
});
export type DecisionSignal = z.infer<typeof decisionSignalSchema>;

/** The patient's answers, checked against the type's questionnaire, and the token to resume
 * the waiting workflow with (the caller sends it; the workflow records the answers). */
export async function prepareAnswers(db: Db, input: { patientId: string; appointmentId: string; answers: unknown; actor: Actor; now: number }) {
  const a = await read(db, input.appointmentId);
  if (!a || a.patientId !== input.patientId) throw new NotFoundError("Appointment", { appointmentId: input.appointmentId });
  assertOpen(a, stateOf(a), "awaiting-answers", input.now);
  const config = await prescreeningConfigFor(db, a.typeId);
  const parsed = answersSchema(config.questionnaire).safeParse(input.answers);
  if (!parsed.success) {
    throw new ValidationError("The answers do not fit the questionnaire", parsed.error.issues.map((i) => ({ path: ["answers", ...i.path.map(String)].join("."), message: i.message })));
  }
  const ready = await waitForToken(db, input.appointmentId, "answers", a);
  if (!ready) throw new NotFoundError("Appointment", { appointmentId: input.appointmentId });
  assertOpen(ready, stateOf(ready), "awaiting-answers", input.now);
  const submission: Submission = { answers: parsed.data as Record<string, unknown>, submittedAt: toUtcIso(input.now), actor: input.actor };
  return { appointment: ready, taskToken: ready.taskToken!, submission, questionnaire: config.questionnaire };
}

/** A nurse's decision, checked, and the token to resume the waiting workflow with. */
export async function prepareDecision(
  db: Db,
  input: { appointmentId: string; decision: Decision; note?: string; actor: Actor; now: number; guard: AppointmentGuard },
) {
  const a = input.guard(await read(db, input.appointmentId), input.appointmentId);
  if (!a.prescreening) throw new NotFoundError("Pre-screening", { appointmentId: input.appointmentId });
  const check = (x: Appointment) => {
    assertOpen(x, stateOf(x), "awaiting-decision", input.now);
    if (input.decision === "call-patient" && stateOf(x)!.calledPatientAt) {
      throw new ConflictError("CALL_PATIENT_USED", "The wait was already extended once to call the patient; approve or reject now");
    }
  };
  check(a);
  const ready = await waitForToken(db, input.appointmentId, "decision", a);
  if (!ready) throw new NotFoundError("Pre-screening", { appointmentId: input.appointmentId });
  check(ready);
  const signal: DecisionSignal = { decision: input.decision, note: input.note, decidedAt: toUtcIso(input.now), actor: input.actor };
  return { appointment: ready, taskToken: ready.taskToken!, signal };
}

/** Workflow step `record-answers`: the answers stored, the token spent, the nurses' queue entry. */
export async function recordAnswers(db: Db, input: { appointmentId: string; submission: Submission; now: number }) {
  return retrying(db, async () => {
    const { a, state } = await heldFor(db, input.appointmentId, ["awaiting-answers"]);
    const config = await prescreeningConfigFor(db, a.typeId);
    const { data: patient } = await db.patient.get({ patientId: a.patientId }).go();
    const submittedAt = input.submission.submittedAt;
    const next: PrescreeningState = {
      ...state,
      state: "awaiting-decision",
      answers: input.submission.answers,
      submittedAt,
      slaDueAt: toUtcIso(slaDueFrom(config, Date.parse(submittedAt), Date.parse(state.decideBy))),
    };
    const nowIso = toUtcIso(input.now);
    return {
      result: { slaDueAt: next.slaDueAt },
      ops: (tx: Tx) => [
        patchAppointment(tx, a, { prescreening: next }, nowIso, ["taskToken", "taskTokenStage"]),
        tx.screening
          .create({
            ...screeningKey(a, next),
            regionId: a.regionId,
            typeId: a.typeId,
            start: a.start,
            patientId: a.patientId,
            patientName: patient?.name ?? "(unknown)",
            slaDueAt: next.slaDueAt!,
            decideBy: next.decideBy,
          })
          .commit(),
        // The audit records that answers came in, not what they say (medical content).
        auditItem(tx, a, "prescreening.answered", input.submission.actor, input.now, { questions: Object.keys(next.answers ?? {}).length }),
      ],
    };
  });
}

/** Workflow step `record-decision`: approve/reject close the queue entry; call-patient
 * restarts the SLA from the call (once). */
export async function recordDecision(db: Db, input: { appointmentId: string; signal: DecisionSignal; now: number }) {
  return retrying(db, async () => {
    const { a, state } = await heldFor(db, input.appointmentId, ["awaiting-decision"]);
    const { signal } = input;
    const nowIso = toUtcIso(input.now);
    const called = signal.decision === "call-patient";
    if (called && state.calledPatientAt) return { result: { decision: signal.decision, extended: false } };
    const config = called ? await prescreeningConfigFor(db, a.typeId) : undefined;
    const next: PrescreeningState = called
      ? {
          ...state,
          calledPatientAt: signal.decidedAt,
          callNote: signal.note,
          slaDueAt: toUtcIso(slaDueFrom(config!, Date.parse(signal.decidedAt), Date.parse(state.decideBy))),
        }
      : {
          ...state,
          state: signal.decision === "approve" ? "approved" : "rejected",
          decision: signal.decision,
          decidedBy: signal.actor.id,
          decidedAt: signal.decidedAt,
          note: signal.note,
        };
    return {
      result: { decision: signal.decision, extended: called },
      ops: (tx: Tx) => [
        patchAppointment(tx, a, { prescreening: next }, nowIso, ["taskToken", "taskTokenStage"]),
        called
          ? tx.screening.patch(screeningKey(a, state)).set({ calledPatientAt: signal.decidedAt, slaDueAt: next.slaDueAt! }).commit()
          : tx.screening.delete(screeningKey(a, state)).commit(),
        auditItem(tx, a, "prescreening.decided", signal.actor, input.now, { decision: signal.decision }),
        eventItem(tx, a, "PreScreeningDecided", input.now, {
          patientId: a.patientId,
          decision: signal.decision,
          start: a.start,
          // Decided (or called) before the nurse SLA of this period was due: not escalated.
          slaMet: Date.parse(signal.decidedAt) <= Date.parse(state.slaDueAt!),
        }),
      ],
    };
  });
}

/** After signalling, the request waits (briefly) for the workflow to record what it sent, so
 * its answer shows the new state. Undefined if that took longer than `ms`. */
export async function awaitRecorded(db: Db, appointmentId: string, recorded: (a: Appointment) => boolean, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const a = await read(db, appointmentId);
    if (!a) return undefined;
    if (recorded(a)) return a;
    if (Date.now() >= deadline) return undefined;
    await sleep(50);
  }
}

/** The patient's view of an appointment's pre-screening: the questionnaire and where it stands. */
export async function getPrescreening(db: Db, input: { patientId: string; appointmentId: string }) {
  const a = await read(db, input.appointmentId);
  if (!a || a.patientId !== input.patientId) throw new NotFoundError("Appointment", { appointmentId: input.appointmentId });
  const state = stateOf(a);
  if (!state) throw new NotFoundError("Pre-screening", { appointmentId: input.appointmentId });
  const config = await prescreeningConfigFor(db, a.typeId);
  return { appointment: a, state, questionnaire: config.questionnaire };
}

/** The nurses' queue of a clinic: answered, waiting for a decision, oldest first. */
export async function prescreeningQueue(db: Db, input: { clinicId: string; limit: number; cursor?: string }) {
  return db.screening.query
    .byClinic({ clinicId: input.clinicId, state: "pending" })
    .go({ limit: input.limit, cursor: input.cursor ?? null, order: "asc" });
}

/** A nurse's or admin's look at one pre-screening, answers included — audited, as every read
 * of a patient's data by staff is. */
export async function getPrescreeningForStaff(db: Db, input: { appointmentId: string; actor: Actor; now: number; guard: AppointmentGuard }) {
  const a = input.guard(await read(db, input.appointmentId), input.appointmentId);
  const state = stateOf(a);
  if (!state) throw new NotFoundError("Pre-screening", { appointmentId: input.appointmentId });
  const config = await prescreeningConfigFor(db, a.typeId);
  await db.service.transaction
    .write((tx) => [auditItem(tx, a, "prescreening.viewed", input.actor, input.now, { state: state.state })])
    .go();
  return { appointment: a, state, questionnaire: config.questionnaire };
}
