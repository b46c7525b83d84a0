/**
 * The admin's audit query: entries by appointment, by actor or by clinic, in a time range,
 * newest first, a page at a time — each with its place in its hash chain once chained.
 *
 * Index by the most selective filter given: appointment (bySubject) → actor (byActor) →
 * clinic (byClinic); the other filters given narrow the results. At least one of the three
 * is required: a whole-region query would need an index every audit write of the region
 * lands in, one hot partition, and it answers no question an admin asks.
 */
import { z } from "zod";
import type { AuditChainMark, AuditEntry, Db } from "../entities";
import { ValidationError } from "../errors";
import { getAllByKeys } from "./batch";
import { canonicalJson, sha256Hex } from "./hash";

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

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
    clinicId: id.optional(),
    /** Inclusive; a date means from its start (UTC). */
    from: dayOrInstant.optional(),
    /** Inclusive; a date means through its end (UTC). */
    to: dayOrInstant.optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
    cursor: z.string().min(1).max(4096).optional(),
  })
  .refine((q) => q.appointmentId || q.actor || q.clinicId, { message: NO_FILTER, path: ["appointmentId"] })
  .refine(
    (q) => {
      const { from, until } = timeRange(q);
      return !(from && until && until <= from);
    },
    { message: "`to` must not be before `from`", path: ["to"] },
  );

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
  /** Only entries of these clinics (the caller's); undefined = all. */
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

interface Cursor {
  v: 1;
  /** The filters the cursor belongs to. */
  q: string;
  /** ElectroDB's own cursor. */
  c: string;
}

const fingerprint = (q: AuditQuery) =>
  sha256Hex(canonicalJson({ a: q.appointmentId, u: q.actor, c: q.clinicId, f: q.from, t: q.to })).slice(0, 16);

const invalidCursor = () => new ValidationError("The cursor is not valid for this query", undefined, "INVALID_CURSOR");

function readCursor(cursor: string, q: AuditQuery): string {
  let parsed: Partial<Cursor>;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Partial<Cursor>;
  } catch {
    throw invalidCursor();
  }
  if (parsed?.v !== 1 || typeof parsed.c !== "string" || parsed.q !== fingerprint(q)) throw invalidCursor();
  return parsed.c;
}

const writeCursor = (c: string, q: AuditQuery) =>
  Buffer.from(JSON.stringify({ v: 1, q: fingerprint(q), c } satisfies Cursor), "utf8").toString("base64url");

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

/** A page of audit entries, newest first. */
export async function queryAudit(db: Db, input: AuditQuery): Promise<AuditPage> {
  if (!input.appointmentId && !input.actor && !input.clinicId) throw new ValidationError(NO_FILTER, undefined, "AUDIT_FILTER_REQUIRED");
  const limit = Math.min(Math.max(1, input.limit ?? AUDIT_PAGE_DEFAULT), AUDIT_PAGE_MAX);
  const range = timeRange(input);
  const cursor = input.cursor ? readCursor(input.cursor, input) : null;

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
      input.withinClinics ? `(${input.withinClinics.map((c) => op.eq(attr.clinicId, c)).join(" OR ")})` : "",
    ]
      .filter(Boolean)
      .join(" AND "),
  );

  let page: { data: AuditEntry[]; cursor: string | null };
  try {
    page = await query.go({ count: limit, cursor, order: "desc" });
  } catch (error) {
    const e = error as { isElectroError?: boolean; name?: string; cause?: { name?: string } };
    const rejected = e.isElectroError || e.name === "ValidationException" || e.cause?.name === "ValidationException";
    if (cursor && rejected) throw invalidCursor();
    throw error;
  }

  const marks = await getAllByKeys(
    (keys) => db.auditChainMark.get(keys).go(),
    page.data.map((e) => ({ auditId: e.auditId })),
  );
  const markOf = new Map(marks.map((m) => [m.auditId, m]));
  return {
    items: page.data.map((e) => auditEntryView(e, markOf.get(e.auditId))),
    cursor: page.cursor ? writeCursor(page.cursor, input) : undefined,
  };
}
