/**
 * Pure slot engine: turns doctor schedules (weekly templates + date overrides, in clinic-local
 * wall time), appointment-type rules and busy blocks into bookable slots.
 *
 * All time-zone conversions go through luxon. Everything else works on UTC epoch milliseconds,
 * so stepping through an interval is in real elapsed time and DST changes can never produce
 * duplicated or missing instants.
 */
import { DateTime, IANAZone } from "luxon";
import {
  weekdays,
  type BusyBlock,
  type DoctorSchedule,
  type Slot,
  type SlotRules,
  type TimeRange,
  type Weekday,
} from "./types";

export interface SlotQuery {
  /** IANA zone of the clinic */
  timeZone: string;
  rules: SlotRules;
  /** already filtered to qualified doctors working at this clinic */
  doctors: DoctorSchedule[];
  /** blocks of those doctors (other clinics included), any order */
  busy: BusyBlock[];
  /** local date yyyy-mm-dd (inclusive) */
  fromDate: string;
  /** local date yyyy-mm-dd (inclusive) */
  toDate: string;
  /** epoch ms */
  now: number;
}

export interface Interval {
  start: number;
  end: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

// ---------------------------------------------------------------------------------------------
// Calendar helpers (pure calendar arithmetic on dates, no time zones involved)
// ---------------------------------------------------------------------------------------------

function parseDate(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`invalid date "${date}", expected yyyy-mm-dd`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new RangeError(`invalid date "${date}"`);
  }
  return ms;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return String(n).padStart(4, "0");
}

function formatDate(utcMidnightMs: number): string {
  const d = new Date(utcMidnightMs);
  return `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

function utcMidnight(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}

function addDays(date: string, days: number): string {
  return formatDate(parseDate(date) + days * DAY_MS);
}

export function weekdayOf(date: string): Weekday {
  const jsDay = new Date(parseDate(date)).getUTCDay(); // 0 = Sunday
  return weekdays[(jsDay + 6) % 7]!;
}

// ---------------------------------------------------------------------------------------------
// Time-zone helpers (luxon)
// ---------------------------------------------------------------------------------------------

function zoneOf(timeZone: string): IANAZone {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new RangeError(`invalid time zone "${timeZone}"`);
  return zone;
}

/**
 * Clinic-local wall time on a local date → the resolved luxon DateTime. "24:00" is the start of
 * the next local day. Nonexistent times (DST gap) are shifted forward the way luxon does;
 * ambiguous times (fall-back overlap) resolve to the earlier instant.
 */
function resolveWall(date: string, time: string, timeZone: string): DateTime {
  const [d, t] = time === "24:00" ? [addDays(date, 1), "00:00"] : [date, time];
  const dt = DateTime.fromISO(`${d}T${t}`, { zone: timeZone });
  if (!dt.isValid) {
    throw new RangeError(`cannot resolve ${d}T${t} in ${timeZone}: ${dt.invalidExplanation ?? dt.invalidReason}`);
  }
  let best = dt;
  for (const candidate of dt.getPossibleOffsets()) if (candidate.toMillis() < best.toMillis()) best = candidate;
  return best;
}

function wallToUtc(date: string, time: string, timeZone: string): number {
  return resolveWall(date, time, timeZone).toMillis();
}

/** Offset in whole minutes as "+hh:mm" / "-hh:mm" (never "Z"). */
function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(Math.round(offsetMinutes));
  return `${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/**
 * Cheap local ISO formatting given the zone offset (from luxon) valid at `epochMs`.
 * Used in the hot path instead of building a DateTime per slot.
 */
function formatLocalWithOffset(epochMs: number, offsetMinutes: number): string {
  const secondMs = epochMs - (((epochMs % 1000) + 1000) % 1000);
  const w = new Date(secondMs + offsetMinutes * MINUTE_MS);
  return (
    `${pad4(w.getUTCFullYear())}-${pad2(w.getUTCMonth() + 1)}-${pad2(w.getUTCDate())}` +
    `T${pad2(w.getUTCHours())}:${pad2(w.getUTCMinutes())}:${pad2(w.getUTCSeconds())}` +
    formatOffset(offsetMinutes)
  );
}

export function localDateOf(epochMs: number, timeZone: string): string {
  const dt = DateTime.fromMillis(epochMs, { zone: timeZone });
  if (!dt.isValid) throw new RangeError(`invalid time zone "${timeZone}"`);
  return dt.toISODate()!;
}

export function toLocalIso(epochMs: number, timeZone: string): string {
  const secondMs = epochMs - (((epochMs % 1000) + 1000) % 1000);
  const dt = DateTime.fromMillis(secondMs, { zone: timeZone });
  if (!dt.isValid) throw new RangeError(`invalid time zone "${timeZone}"`);
  return dt.toFormat("yyyy-MM-dd'T'HH:mm:ss") + formatOffset(dt.offset);
}

export function toUtcIso(epochMs: number): string {
  const secondMs = epochMs - (((epochMs % 1000) + 1000) % 1000);
  return new Date(secondMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// ---------------------------------------------------------------------------------------------
// Availability and grid
// ---------------------------------------------------------------------------------------------

function rangesOn(s: DoctorSchedule, date: string): TimeRange[] {
  let found: TimeRange[] | undefined;
  for (const o of s.overrides) if (o.date === date) found = o.intervals; // last override wins
  return found ?? s.template[weekdayOf(date)] ?? [];
}

function stepMs(rules: SlotRules): number {
  const { durationMinutes: d, bufferBeforeMinutes: bb, bufferAfterMinutes: ba } = rules;
  if (!(Number.isFinite(d) && d > 0)) throw new RangeError(`durationMinutes must be > 0, got ${d}`);
  if (!(Number.isFinite(bb) && bb >= 0)) throw new RangeError(`bufferBeforeMinutes must be ≥ 0, got ${bb}`);
  if (!(Number.isFinite(ba) && ba >= 0)) throw new RangeError(`bufferAfterMinutes must be ≥ 0, got ${ba}`);
  return (bb + d + ba) * MINUTE_MS;
}

function intervalOf(range: TimeRange, date: string, timeZone: string): Interval {
  return { start: wallToUtc(date, range.start, timeZone), end: wallToUtc(date, range.end, timeZone) };
}

/** UTC ms intervals for that local date (override replaces template; [] = day off), sorted by start. */
export function availabilityOn(s: DoctorSchedule, date: string, timeZone: string): Interval[] {
  return rangesOn(s, date)
    .map((r) => intervalOf(r, date, timeZone))
    .filter((i) => i.end > i.start)
    .sort((x, y) => x.start - y.start || x.end - y.end);
}

/** Slot starts of the grid laid back to back from the interval start (block end ≤ interval end). */
function gridStarts(interval: Interval, step: number, bufferBeforeMs: number): number[] {
  const out: number[] = [];
  for (let blk = interval.start; blk + step <= interval.end; blk += step) out.push(blk + bufferBeforeMs);
  return out;
}

/** Grid starts on that date irrespective of busy/notice; sorted, distinct. */
export function slotStartsFor(s: DoctorSchedule, rules: SlotRules, date: string, timeZone: string): number[] {
  const step = stepMs(rules);
  const bb = rules.bufferBeforeMinutes * MINUTE_MS;
  const all = availabilityOn(s, date, timeZone).flatMap((i) => gridStarts(i, step, bb));
  all.sort((a, b) => a - b);
  return all.filter((v, i) => i === 0 || v !== all[i - 1]);
}

/** The time a booking at `start` occupies: [start - bufferBefore, start + duration + bufferAfter). */
export function blockFor(start: number, rules: SlotRules): Interval {
  return {
    start: start - rules.bufferBeforeMinutes * MINUTE_MS,
    end: start + (rules.durationMinutes + rules.bufferAfterMinutes) * MINUTE_MS,
  };
}

export function isOnSlotGrid(s: DoctorSchedule, rules: SlotRules, start: number, timeZone: string): boolean {
  if (!Number.isFinite(start)) return false;
  const date = localDateOf(start, timeZone);
  for (const d of [date, addDays(date, -1)]) {
    if (slotStartsFor(s, rules, d, timeZone).includes(start)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Busy index
// ---------------------------------------------------------------------------------------------

interface BusyIndex {
  /** block starts, ascending */
  starts: number[];
  /** prefixMaxEnd[i] = max end of blocks 0..i */
  prefixMaxEnd: number[];
}

function indexBusy(busy: BusyBlock[], doctorIds: Set<string>): Map<string, BusyIndex> {
  const byDoctor = new Map<string, BusyBlock[]>();
  for (const b of busy) {
    if (!doctorIds.has(b.doctorId) || !(b.end > b.start)) continue; // empty blocks overlap nothing
    let list = byDoctor.get(b.doctorId);
    if (!list) byDoctor.set(b.doctorId, (list = []));
    list.push(b);
  }
  const out = new Map<string, BusyIndex>();
  for (const [id, list] of byDoctor) {
    list.sort((x, y) => x.start - y.start);
    const starts = new Array<number>(list.length);
    const prefixMaxEnd = new Array<number>(list.length);
    let max = -Infinity;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      starts[i] = b.start;
      if (b.end > max) max = b.end;
      prefixMaxEnd[i] = max;
    }
    out.set(id, { starts, prefixMaxEnd });
  }
  return out;
}

/** True when some busy block [s, e) overlaps [from, to): s < to && e > from. */
function overlapsBusy(idx: BusyIndex, from: number, to: number): boolean {
  // first index with start >= to
  let lo = 0;
  let hi = idx.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idx.starts[mid]! < to) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && idx.prefixMaxEnd[lo - 1]! > from;
}

// ---------------------------------------------------------------------------------------------
// computeSlots
// ---------------------------------------------------------------------------------------------

interface Grid {
  /** slot starts inside the notice/horizon window, ascending */
  starts: number[];
  localStarts: string[];
  /** free doctors per start, in doctor-id order (filled while scanning doctors) */
  free: Array<string[] | undefined>;
}

function mergeSortedUnique(a: string[], b: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const v = y === undefined || (x !== undefined && x <= y) ? (i++, x!) : (j++, y);
    if (out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/** Sorted by start; only starts with ≥ 1 free doctor. */
export function computeSlots(q: SlotQuery): Slot[] {
  const { rules, timeZone } = q;
  const zone = zoneOf(timeZone);
  const step = stepMs(rules);
  const bbMs = rules.bufferBeforeMinutes * MINUTE_MS;
  const durMs = rules.durationMinutes * MINUTE_MS;
  const afterMs = (rules.durationMinutes + rules.bufferAfterMinutes) * MINUTE_MS;
  const minStart = q.now + rules.minimumNoticeMinutes * MINUTE_MS;
  const maxStart = q.now + rules.bookingHorizonDays * DAY_MS;

  if (!Number.isFinite(q.now)) throw new RangeError(`now must be a finite epoch ms, got ${q.now}`);
  // Only dates that can hold starts inside [minStart, maxStart] are visited. A local date is
  // within ±1 day of the UTC date of the same instant; one more day of slack covers "24:00" ends.
  const firstMs = Math.max(parseDate(q.fromDate), utcMidnight(minStart) - 2 * DAY_MS);
  const lastMs = Math.min(parseDate(q.toDate), utcMidnight(maxStart) + 2 * DAY_MS);
  if (firstMs > lastMs || minStart > maxStart || q.doctors.length === 0) return [];
  const dates: Array<{ date: string; next: string; weekday: Weekday }> = [];
  for (let ms = firstMs; ms <= lastMs; ms += DAY_MS) {
    dates.push({ date: formatDate(ms), next: formatDate(ms + DAY_MS), weekday: weekdays[(new Date(ms).getUTCDay() + 6) % 7]! });
  }

  const doctors = [...q.doctors].sort((a, b) => (a.doctorId < b.doctorId ? -1 : a.doctorId > b.doctorId ? 1 : 0));
  const busy = indexBusy(q.busy, new Set(doctors.map((d) => d.doctorId)));

  // Local midnights (resolved by luxon), shared by consecutive days.
  const midnights = new Map<string, { ms: number; offset: number }>();
  const midnight = (date: string) => {
    let m = midnights.get(date);
    if (!m) {
      const dt = resolveWall(date, "00:00", timeZone);
      midnights.set(date, (m = { ms: dt.toMillis(), offset: dt.offset }));
    }
    return m;
  };
  // Wall time → UTC. On a day whose two bounding midnights are 24 real hours apart with the same
  // offset (no DST change that day) this is elapsed minutes from the luxon-resolved midnight and
  // equals luxon's own conversion; on DST-change days every time goes through luxon.
  const converted = new Map<string, number>();
  const toUtc = (date: string, next: string, time: string): number => {
    const a = midnight(date);
    const b = midnight(next);
    if (b.ms - a.ms === DAY_MS && a.offset === b.offset) {
      return time === "24:00" ? b.ms : a.ms + (Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5))) * MINUTE_MS;
    }
    const key = `${date}T${time}`;
    let ms = converted.get(key);
    if (ms === undefined) converted.set(key, (ms = wallToUtc(date, time, timeZone)));
    return ms;
  };
  const uniformOffset = (date: string, next: string): number | undefined => {
    const a = midnight(date);
    const b = midnight(next);
    return b.ms - a.ms === DAY_MS && a.offset === b.offset ? a.offset : undefined;
  };

  // Grids depend only on (date, range) — doctors sharing a template share the work.
  const grids = new Map<string, Grid>();
  const gridFor = (date: string, next: string, range: TimeRange): Grid => {
    const key = `${date}|${range.start}|${range.end}`;
    let g = grids.get(key);
    if (g) return g;
    const interval = { start: toUtc(date, next, range.start), end: toUtc(date, next, range.end) };
    const starts = gridStarts(interval, step, bbMs).filter((s) => s >= minStart && s <= maxStart);
    const localStarts = new Array<string>(starts.length);
    if (starts.length > 0) {
      const dayOffset = uniformOffset(date, next);
      const offFirst = dayOffset ?? zone.offset(starts[0]!);
      const offLast = dayOffset ?? zone.offset(starts[starts.length - 1]!);
      for (let i = 0; i < starts.length; i++) {
        const s = starts[i]!;
        localStarts[i] = formatLocalWithOffset(s, offFirst === offLast ? offFirst : zone.offset(s));
      }
    }
    g = { starts, localStarts, free: new Array<string[] | undefined>(starts.length) };
    grids.set(key, g);
    return g;
  };

  for (const doctor of doctors) {
    const id = doctor.doctorId;
    const idx = busy.get(id);
    const overrides = new Map<string, TimeRange[]>();
    for (const o of doctor.overrides) overrides.set(o.date, o.intervals); // last override wins
    for (const { date, next, weekday } of dates) {
      const ranges = overrides.get(date) ?? doctor.template[weekday] ?? [];
      for (const range of ranges) {
        const { starts, free } = gridFor(date, next, range);
        for (let i = 0; i < starts.length; i++) {
          const s = starts[i]!;
          if (idx && overlapsBusy(idx, s - bbMs, s + afterMs)) continue;
          const ids = free[i];
          if (!ids) free[i] = [id];
          else if (ids[ids.length - 1] !== id) ids.push(id); // same range listed twice
        }
      }
    }
  }

  // Merge grids: different ranges (of different doctors) can share starts.
  const entries: Array<{ start: number; localStart: string; ids: string[] }> = [];
  for (const g of grids.values()) {
    for (let i = 0; i < g.starts.length; i++) {
      const ids = g.free[i];
      if (ids) entries.push({ start: g.starts[i]!, localStart: g.localStarts[i]!, ids });
    }
  }
  entries.sort((a, b) => a.start - b.start);
  const out: Slot[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (last && last.start === e.start) last.doctorIds = mergeSortedUnique(last.doctorIds, e.ids);
    else out.push({ start: e.start, end: e.start + durMs, localStart: e.localStart, doctorIds: e.ids });
  }
  return out;
}

/** Whether the doctor works through the whole interval (it lies within one of their working
 * intervals — of its local date, or of the day before for a shift past midnight). */
export function worksThrough(s: DoctorSchedule, interval: Interval, timeZone: string): boolean {
  const date = localDateOf(interval.start, timeZone);
  return [date, addDays(date, -1)].some((d) =>
    availabilityOn(s, d, timeZone).some((i) => i.start <= interval.start && interval.end <= i.end),
  );
}
