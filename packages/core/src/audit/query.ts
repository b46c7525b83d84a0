/**
 * The admin's audit query: entries by appointment, by actor or by clinic, in a time range,
 * newest first, a page at a time — each with its place in its hash chain once chained, and the
 * display names of the page's actors (./actors.ts).
 *
 * Index by the most selective filter given: appointment (bySubject) → actor (byActor) →
 * clinic (byClinic); the other filters given narrow the results. At least one of the three
 * is required: a whole-region query would need an index every audit write of the region
 * lands in, one hot partition, and it answers no question an admin asks.
 *
 * Region-wide entries — changes that concern no one clinic (appointment types, the region's
 * settings, staff records of no clinic) — are on the region's own chain, whose "clinic" is
 * REGION_AUDIT_CLINIC_ID (./entry.ts): `clinicId=region` lists them. That partition only gets
 * the region's rare catalog changes and support's reads, so it is no hot spot. Every
 * administrator may see the catalog changes (the catalog routes are region-wide for admins);
 * support's reads of patients (also on the region chain) stay hidden: they name patients of
 * every clinic.
 */
import { z } from "zod";
import type { AuditChainMark, AuditEntry, Db } from "../entities";
import { ValidationError } from "../errors";
import { actorNames, type ActorNames } from "./actors";
import { getAllByKeys } from "./batch";
import { goPage, PAGE_DEFAULT, PAGE_MAX, pageLimit, pageQueryShape } from "./cursor";
import { REGION_AUDIT_CLINIC_ID } from "./entry";

export const AUDIT_PAGE_DEFAULT = PAGE_DEFAULT;
export const AUDIT_PAGE_MAX = PAGE_MAX;

/**
 * The subjects of region-wide entries every administrator may see: the catalog they manage
 * region-wide (admin/types.ts, admin/region.ts) and staff records of no clinic (admin/staff.ts:
 * any administrator may keep those).
 */
export const REGION_CATALOG_SUBJECTS: readonly string[] = ["appointmentType", "region", "staff"];

const id = z.string().trim().min(1).max(100);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A UTC day (the whole day) or an instant with an offset. */
const dayOrInstant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    message: "expected a date yyyy-mm-dd or an ISO-8601 date-time with offset, e.g. 2026-03-30T09:00:00Z",
  })
  .refine((v) => v.slice(0, 4) >= "2000" && v.slice(0, 4) <= "2999", { message: "expected a time between the years 2000 and 2999" });

const NO_FILTER = "give at least one of appointmentId, actor, clinicId";

/** Query parameters of `GET /api/admin/appointments/audit`. */
export const auditQuerySchema = z
  .object({
    appointmentId: id.optional(),
    actor: id.optional(),
    /** A clinic of the caller's, or "region" (REGION_AUDIT_CLINIC_ID): the region-wide entries. */
    clinicId: id.optional(),
    /** Inclusive; a date means from its start (UTC). */
    from: dayOrInstant.optional(),
    /** Inclusive; a date means through its end (UTC). */
    to: dayOrInstant.optional(),
    ...pageQueryShape,
  })
  .refine((q) => q.appointmentId || q.actor || q.clinicId, { message: NO_FILTER, path: ["appointmentId"] })
  .refine(
    (q) => {
      const { from, until } = timeRange(q);
      return !(from && until && until <= from);
    },
    { message: "`to` must not be before `from`", path: ["to"] },
  );

/** Whether a clinic filter asks for the region-wide entries rather than a clinic's. */
export const isRegionScope = (clinicId: string | undefined): boolean => clinicId === REGION_AUDIT_CLINIC_ID;

export interface AuditQuery {
  appointmentId?: string;
  actor?: string;
  clinicId?: string;
  from?: string;
  to?: string;
  /** Default 50, at most 200. */
  limit?: number;
  /** From the previous page; only valid with the same filters. */
  cursor?: string;
  /** Only entries of these clinics (the caller's) and the region-wide catalog entries
   * (REGION_CATALOG_SUBJECTS); undefined = all. */
  withinClinics?: readonly string[];
}

export function auditEntryView(entry: AuditEntry, mark: AuditChainMark | undefined) {
  return {
    auditId: entry.auditId,
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    clinicId: entry.clinicId,
    action: entry.action,
    actorId: entry.actorId,
    actorRole: entry.actorRole,
    at: entry.at,
    details: entry.details,
    /** Its place in the clinic-day's hash chain; null until the chainer got to it (seconds). */
    chain: mark ? { day: mark.day, seq: mark.seq, hash: mark.hash } : null,
  };
}
export type AuditEntryView = ReturnType<typeof auditEntryView>;

export interface AuditPage {
  items: AuditEntryView[];
  /** Display names of the items' actors, by actorId; an actor without a record is absent. */
  actors: ActorNames;
  /** Present when there may be more (the next page can turn out empty). */
  cursor?: string;
}

const toIso = (ms: number) => new Date(ms).toISOString();

/** `at` bounds as stored (UTC, milliseconds): from inclusive, until exclusive. */
function timeRange(q: { from?: string; to?: string }): { from?: string; until?: string } {
  const from = q.from && (DATE.test(q.from) ? `${q.from}T00:00:00.000Z` : toIso(Date.parse(q.from)));
  const until =
    q.to && (DATE.test(q.to) ? toIso(Date.parse(`${q.to}T00:00:00.000Z`) + 86_400_000) : toIso(Date.parse(q.to) + 1));
  return { from, until };
}

/** What a cursor is bound to: the filters (not the caller's clinics, which only narrow). */
const cursorScope = (q: AuditQuery) => ({ list: "audit", a: q.appointmentId, u: q.actor, c: q.clinicId, f: q.from, t: q.to });

/** The sort-key conditions the three indexes share (all sort by `at`, then auditId). */
interface AtRanged<R> {
  between(from: { at: string }, until: { at: string }): R;
  gte(from: { at: string }): R;
  lt(until: { at: string }): R;
}

function ranged<R>(query: AtRanged<R> & R, range: { from?: string; until?: string }): R {
  // Sort keys are at#auditId: a bound on `at` alone, `until` as an exclusive end.
  if (range.from && range.until) return query.between({ at: range.from }, { at: range.until });
  if (range.from) return query.gte({ at: range.from });
  if (range.until) return query.lt({ at: range.until });
  return query;
}

/**
 * The filter that keeps a caller to what they may see: their clinics' entries and the
 * region-wide catalog entries. `clinicIs`/`subjectIs` are the query's equality conditions
 * (ElectroDB names each value, so one attribute may be compared to many).
 */
function visibleTo(clinics: readonly string[], clinicIs: (id: string) => string, subjectIs: (type: string) => string): string {
  const catalog = `(${clinicIs(REGION_AUDIT_CLINIC_ID)} AND (${REGION_CATALOG_SUBJECTS.map(subjectIs).join(" OR ")}))`;
  return `(${[...clinics.map(clinicIs), catalog].join(" OR ")})`;
}

/** A page of audit entries, newest first. */
export async function queryAudit(db: Db, input: AuditQuery): Promise<AuditPage> {
  if (!input.appointmentId && !input.actor && !input.clinicId) throw new ValidationError(NO_FILTER, undefined, "AUDIT_FILTER_REQUIRED");
  const limit = pageLimit(input.limit);
  const range = timeRange(input);

  const entities = db.auditEntry.query;
  const base = input.appointmentId
    ? ranged(entities.bySubject({ subjectType: "appointment", subjectId: input.appointmentId }), range)
    : input.actor
      ? ranged(entities.byActor({ actorId: input.actor }), range)
      : ranged(entities.byClinic({ clinicId: input.clinicId! }), range);
  // Exact matches (keys are case-folded), and the filters the chosen index does not serve.
  const query = base.where((attr, op) =>
    [
      input.appointmentId ? op.eq(attr.subjectId, input.appointmentId) : "",
      input.actor ? op.eq(attr.actorId, input.actor) : "",
      input.clinicId ? op.eq(attr.clinicId, input.clinicId) : "",
      input.withinClinics
        ? visibleTo(
            input.withinClinics,
            (c) => op.eq(attr.clinicId, c),
            (t) => op.eq(attr.subjectType, t),
          )
        : "",
    ]
      .filter(Boolean)
      .join(" AND "),
  );

  const page = await goPage(cursorScope(input), input.cursor, (cursor) => query.go({ count: limit, cursor, order: "desc" }));
  const [marks, actors] = await Promise.all([
    getAllByKeys(
      (keys) => db.auditChainMark.get(keys).go(),
      page.data.map((e) => ({ auditId: e.auditId })),
    ),
    actorNames(db, page.data),
  ]);
  const markOf = new Map(marks.map((m) => [m.auditId, m]));
  return { items: page.data.map((e) => auditEntryView(e, markOf.get(e.auditId))), actors, cursor: page.cursor };
}
