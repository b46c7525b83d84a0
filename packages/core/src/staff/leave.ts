/**
 * Leave: a doctor or nurse asks, an admin of their clinics decides.
 *
 * Approving a doctor's leave first commits, in one transaction, the decision and the absence on
 * the doctor's schedule (bumping `scheduleVersion`, which every booking checks): from then on no
 * booking can land in that time. Then each appointment in it is moved to another doctor or
 * marked for rescheduling (appointment/reassign.ts), and the leave records the outcome. If the
 * process dies in between, approving again finishes the moves (and changes nothing else).
 */
import { randomUUID } from "node:crypto";
import { DateTime } from "luxon";
import { z } from "zod";
import { moveOffDoctor, type ReassignOutcome } from "../appointment/reassign";
import { scheduleVersionIs, type Actor } from "../appointment/tx";
import { goPage, pageLimit, pageQueryShape } from "../audit/cursor";
import { auditEntryItem, REGION_AUDIT_CLINIC_ID } from "../audit/entry";
import type { Db, Leave, StaffMember } from "../entities";
import { BusinessRuleError, ConflictError, ForbiddenError, NotFoundError } from "../errors";
import type { Absence } from "../schedule/types";
import { toUtcIso } from "../schedule/slots";
import { zoneOfClinics } from "./appointments";

const DAY = 24 * 3600_000;
export const MAX_LEAVE_DAYS = 90;

/**
 * How long an absence stays on the doctor's record after it ended. The record's `absences` list
 * is rewritten on every approval; without pruning it only grows (and every slot search and
 * booking reads it). Slot search and booking only ever look at times after now (past starts are
 * refused; buffers are minutes), so an absence that ended before now can no longer make any
 * searched or booked time busy; the day is a wide margin for clocks that disagree. The leave
 * item itself stays (the leave lists, the audit); what a pruned absence no longer shows in is a
 * doctor's schedule view of those past days (staff/appointments.ts `doctorSchedule`).
 */
export const ENDED_ABSENCE_KEPT_MS = DAY;

/** The absences still worth keeping at `now`: those that end within the margin or later. */
export function withoutEndedAbsences(absences: readonly Absence[], now: number): Absence[] {
  return absences.filter((a) => Date.parse(a.end) > now - ENDED_ABSENCE_KEPT_MS);
}

const dateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  message: "expected a date yyyy-mm-dd (whole days) or an ISO-8601 date-time with offset",
});

export const leaveRequestSchema = z.strictObject({
  /** A date: from the start of that local day; a date-time: from that instant. */
  from: dateOrInstant,
  /** A date: through the end of that local day; a date-time: until that instant. */
  to: dateOrInstant,
  reason: z.string().trim().min(1, "a reason is required").max(500),
});

export const leaveDecisionSchema = z.strictObject({
  decision: z.enum(["approve", "reject"]),
  note: z.string().trim().max(500).optional(),
});

export const leaveListQuerySchema = z.object({
  status: z.enum(["requested", "approved", "rejected", "cancelled"]).optional(),
  /** Leave ending on or after this date (default: today, UTC). */
  from: z.iso.date().optional(),
  /** Default 50, at most 200; `cursor` from the previous page (same filters). */
  ...pageQueryShape,
});

export const leavePathSchema = z.object({ leaveId: z.string().trim().min(1).max(100) });

const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/** The UTC interval of a request, dates read in the staff member's clinic zone. */
export function leaveInterval(from: string, to: string, timeZone: string): { start: number; end: number } {
  const start = isDate(from) ? DateTime.fromISO(from, { zone: timeZone }).startOf("day").toMillis() : Date.parse(from);
  const end = isDate(to) ? DateTime.fromISO(to, { zone: timeZone }).plus({ days: 1 }).startOf("day").toMillis() : Date.parse(to);
  return { start, end };
}

export function leaveView(l: Leave) {
  return {
    id: l.leaveId,
    staff: { id: l.staffSub, name: l.staffName, role: l.role, doctorId: l.doctorId ?? null },
    clinicIds: l.clinicIds,
    from: l.from,
    to: l.to,
    start: l.start,
    end: l.end,
    timeZone: l.timeZone,
    reason: l.reason,
    status: l.status,
    requestedAt: l.requestedAt,
    decidedAt: l.decidedAt ?? null,
    decidedBy: l.decidedBy ?? null,
    decisionNote: l.decisionNote ?? null,
    /** After approval: the appointments moved to other doctors, and those the patients are asked to move. */
    outcome: (l.outcome as ReassignOutcome | undefined) ?? null,
  };
}
export type LeaveView = ReturnType<typeof leaveView>;

export async function requestLeave(
  db: Db,
  input: { staff: StaffMember; role: "doctor" | "nurse"; from: string; to: string; reason: string; now: number },
): Promise<Leave> {
  const { staff } = input;
  if (input.role === "doctor" && !staff.doctorId) {
    throw new ForbiddenError("Your staff account is not linked to a doctor record", "NOT_A_DOCTOR");
  }
  const timeZone = await zoneOfClinics(db, staff.clinicIds);
  const { start, end } = leaveInterval(input.from, input.to, timeZone);
  if (!(end > start)) throw new BusinessRuleError("EMPTY_LEAVE", "The leave must end after it starts", { from: input.from, to: input.to });
  if (end <= input.now) throw new BusinessRuleError("LEAVE_IN_PAST", "The leave is over already", { to: input.to });
  if (end - start > MAX_LEAVE_DAYS * DAY) {
    throw new BusinessRuleError("LEAVE_TOO_LONG", `Ask for at most ${MAX_LEAVE_DAYS} days at once`, { from: input.from, to: input.to });
  }
  const mine = await db.leave.query.byStaff({ staffSub: staff.sub }).go({ pages: "all" });
  const overlapping = mine.data.find(
    (l) => (l.status === "requested" || l.status === "approved") && Date.parse(l.start) < end && start < Date.parse(l.end),
  );
  if (overlapping) {
    throw new ConflictError("LEAVE_OVERLAPS", "You already asked for leave in that time", { leaveId: overlapping.leaveId, status: overlapping.status });
  }
  const leave: Leave = {
    leaveId: randomUUID(),
    regionId: staff.regionId,
    staffSub: staff.sub,
    staffName: staff.name,
    role: input.role,
    doctorId: input.role === "doctor" ? staff.doctorId : undefined,
    clinicIds: staff.clinicIds,
    start: toUtcIso(start),
    end: toUtcIso(end),
    from: input.from,
    to: input.to,
    timeZone,
    reason: input.reason,
    status: "requested",
    requestedAt: toUtcIso(input.now),
  };
  await db.leave.create(leave).go();
  return leave;
}

export interface LeavePage {
  items: LeaveView[];
  /** Present when there may be more (the next page can turn out empty). */
  cursor?: string;
}

/**
 * The caller's own leave, or (clinic scope) the leave of their clinics' staff, by start, a page
 * at a time. The filters run in DynamoDB (ElectroDB reads on until it has a page), so a page
 * is full however much of the index they skip.
 */
export async function listLeave(
  db: Db,
  input: {
    regionId: string;
    staffSub?: string;
    clinicIds?: readonly string[];
    status?: Leave["status"];
    from?: string;
    /** Default 50, at most 200. */
    limit?: number;
    /** From the previous page; only valid with the same filters and caller. */
    cursor?: string;
    now: number;
  },
): Promise<LeavePage> {
  const since = input.from ?? toUtcIso(input.now).slice(0, 10);
  const { clinicIds, status } = input;
  if (clinicIds?.length === 0) return { items: [] };
  // Bound to the list as asked (`from` as given: a default "today" moving on at midnight must
  // not void the cursor of someone paging) and to whose leave it is.
  const scope = { list: "leave", r: input.regionId, s: input.staffSub, c: clinicIds, st: status, f: input.from };
  const index = input.staffSub ? db.leave.query.byStaff({ staffSub: input.staffSub }) : db.leave.query.byRegion({ regionId: input.regionId });
  // Leave is at most MAX_LEAVE_DAYS long: one that ends after `since` starts after since − that.
  const query = index.gte({ start: toUtcIso(Date.parse(since) - MAX_LEAVE_DAYS * DAY) }).where((attr, op) =>
    [
      // ISO instants and a date compare as strings: `end` on or after the day `since`.
      op.gte(attr.end, since),
      status ? op.eq(attr.status, status) : "",
      clinicIds ? `(${clinicIds.map((c) => op.contains(attr.clinicIds, c)).join(" OR ")})` : "",
    ]
      .filter(Boolean)
      .join(" AND "),
  );
  const page = await goPage(scope, input.cursor, (cursor) => query.go({ count: pageLimit(input.limit), cursor, order: "asc" }));
  return { items: page.data.map(leaveView), cursor: page.cursor };
}

/** The leave, if the caller (an admin of `clinicIds`, undefined = any) may decide it; else 404. */
async function leaveInScope(db: Db, leaveId: string, clinicIds: readonly string[] | undefined): Promise<Leave> {
  const { data } = await db.leave.get({ leaveId }).go({ consistent: true });
  if (!data || (clinicIds && !data.clinicIds.some((c) => clinicIds.includes(c)))) throw new NotFoundError("Leave", { leaveId });
  return data;
}

/** Leave joins the audit chain of the requester's first clinic. */
const leaveSubject = (l: Leave) => ({ type: "leave", id: l.leaveId, clinicId: l.clinicIds[0] ?? REGION_AUDIT_CLINIC_ID });

export async function decideLeave(
  db: Db,
  input: { leaveId: string; decision: "approve" | "reject"; note?: string; clinicIds: readonly string[] | undefined; actor: Actor; now: number },
): Promise<Leave> {
  const leave = await leaveInScope(db, input.leaveId, input.clinicIds);
  const decided = input.decision === "approve" ? "approved" : "rejected";
  // Approving again finishes an approval whose moves were cut short; anything else is decided.
  if (leave.status === "approved" && decided === "approved" && !leave.outcome) return finishApproval(db, leave, input.actor, input.now);
  if (leave.status !== "requested") {
    throw new ConflictError("LEAVE_DECIDED", `This leave is ${leave.status} already`, { status: leave.status });
  }
  const nowIso = toUtcIso(input.now);
  const decision = { status: decided, decidedAt: nowIso, decidedBy: input.actor.id, ...(input.note ? { decisionNote: input.note } : {}) } as const;

  let doctorVersion: number | undefined;
  let absences: Absence[] = [];
  if (decided === "approved" && leave.doctorId) {
    const { data: doctor } = await db.doctor.get({ doctorId: leave.doctorId }).go({ consistent: true });
    if (!doctor) throw new NotFoundError("Doctor", { doctorId: leave.doctorId });
    doctorVersion = doctor.scheduleVersion;
    // Pruned in the same write that adds the new absence: it is conditioned on the schedule
    // version read here and bumps it, so a concurrent change of the list makes one of the two fail.
    absences = withoutEndedAbsences(((doctor.absences ?? []) as Absence[]).filter((a) => a.leaveId !== leave.leaveId), input.now);
  }
  const result = await db.service.transaction
    .write((tx) => [
      tx.leave
        .patch({ leaveId: leave.leaveId })
        .set(decision)
        .where((attr, op) => op.eq(attr.status, "requested"))
        .commit(),
      auditEntryItem(tx, leaveSubject(leave), `leave.${decided}`, input.actor, input.now, { note: input.note, start: leave.start, end: leave.end }),
      ...(decided === "approved" && leave.doctorId
        ? [
            tx.doctor
              .patch({ doctorId: leave.doctorId })
              .set({
                absences: [...absences, { leaveId: leave.leaveId, start: leave.start, end: leave.end }],
                scheduleVersion: (doctorVersion ?? 0) + 1,
              })
              .where(scheduleVersionIs(doctorVersion))
              .commit(),
          ]
        : []),
    ])
    .go();
  if (result.canceled) {
    if (result.data[0]?.code === "ConditionalCheckFailed") throw new ConflictError("LEAVE_DECIDED", "This leave was decided meanwhile; reload it");
    throw new ConflictError("SCHEDULE_CHANGED", "The doctor's schedule changed meanwhile; try again");
  }
  const updated: Leave = { ...leave, ...decision };
  return decided === "approved" ? finishApproval(db, updated, input.actor, input.now) : updated;
}

/** Moves the appointments out of an approved leave and records what happened. */
async function finishApproval(db: Db, leave: Leave, actor: Actor, now: number): Promise<Leave> {
  const start = Date.parse(leave.start);
  const end = Date.parse(leave.end);
  const outcome: ReassignOutcome = leave.doctorId
    ? await moveOffDoctor(db, {
        doctorId: leave.doctorId,
        from: start,
        to: end,
        fits: (a) => !(Date.parse(a.blockStart) < end && start < Date.parse(a.blockEnd)),
        reason: "leave",
        actor,
        now,
      })
    : { reassigned: [], needsReschedule: [] };
  await db.leave.patch({ leaveId: leave.leaveId }).set({ outcome }).go();
  return { ...leave, outcome };
}
