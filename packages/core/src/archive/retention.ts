/**
 * When an ended appointment leaves the table: its TTL (`tableDefinition.timeToLiveAttribute`),
 * set in the same transaction that ends it, is the later of its end and the moment it ended
 * (a cancellation comes before the end, a late "fulfilled" after it) plus the region's
 * retention days. DynamoDB's TTL deletes it some time after (typically within two days), and
 * the archival consumer (functions/events/archive.ts) writes it to the archive then.
 */
import type { Db } from "../entities";

/** The retention of a region whose item gives none. */
export const DEFAULT_RETENTION_DAYS = 90;

const DAY_SECONDS = 86_400;
/** The region item changes rarely; one read per container every few minutes is plenty. */
const CACHE_MS = 5 * 60_000;

/**
 * The TTL (epoch seconds) of an appointment that ended at `endIso` — or at `now`, if later
 * (e.g. cancelled ahead of its time) — kept `retentionDays` in the table.
 */
export function archiveAfter(endIso: string, retentionDays: number, now?: number): number {
  const end = Date.parse(endIso);
  if (Number.isNaN(end)) throw new RangeError(`not an instant: ${endIso}`);
  if (!Number.isFinite(retentionDays) || retentionDays < 0) throw new RangeError(`not a retention in days: ${retentionDays}`);
  const ended = now === undefined ? end : Math.max(end, now);
  return Math.ceil(ended / 1000) + Math.round(retentionDays * DAY_SECONDS);
}

const cache = new WeakMap<Db, Map<string, { days: number; until: number }>>();

/** The region's `retentionDays` (DEFAULT_RETENTION_DAYS without one), cached per `db` for a few minutes. */
export async function retentionDaysOf(db: Db, regionId: string, now = Date.now()): Promise<number> {
  let regions = cache.get(db);
  if (!regions) cache.set(db, (regions = new Map()));
  const cached = regions.get(regionId);
  if (cached && cached.until > now) return cached.days;
  const { data } = await db.region.get({ regionId }).go();
  const configured = data?.retentionDays;
  const days = typeof configured === "number" && Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_RETENTION_DAYS;
  regions.set(regionId, { days, until: now + CACHE_MS });
  return days;
}
