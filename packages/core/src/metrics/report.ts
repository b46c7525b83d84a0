/**
 * The pure half of the admin metrics: what a day's counters are, how days sum up into a
 * report (utilisation, exact median lead time, SLA met %, notifications by channel), and how
 * much doctor time the templates offered. No I/O — aggregates.ts and query.ts do that.
 */
import { channels, type Channel } from "../notifications/preferences";
import { availabilityOn } from "../schedule/slots";
import { isoDateSchema, type DoctorSchedule } from "../schedule/types";

export const MAX_METRICS_RANGE_DAYS = 366;

export const deliveryOutcomes = ["delivered", "failed"] as const;
export type DeliveryOutcome = (typeof deliveryOutcomes)[number];

/** The counters of a (clinic, day) aggregate — the names of its attributes. */
export const dayCounters = [
  "bookings",
  "holds",
  "holdsReleased",
  "cancellations",
  "reschedules",
  "noShows",
  "fulfilled",
  "bookedMinutes",
  "screeningDecisions",
  "screeningSlaMet",
  "screeningEscalations",
  "emailDelivered",
  "emailFailed",
  "smsDelivered",
  "smsFailed",
  "pushDelivered",
  "pushFailed",
] as const;
export type DayCounter = (typeof dayCounters)[number];
export type DayCounters = Record<DayCounter, number>;

export function deliveryCounter(channel: Channel, outcome: DeliveryOutcome): DayCounter {
  return `${channel}${outcome === "delivered" ? "Delivered" : "Failed"}`;
}

/** What one event adds to one day: counter increments (negative ones too) and lead times. */
export interface DayDelta {
  counters: Partial<DayCounters>;
  leadTimes: number[];
}

/** One day's aggregate as read back (absent counters are 0). */
export interface DayRow extends DayCounters {
  day: string;
  leadTimes: number[];
}

export interface MetricsSummary {
  bookings: number;
  holds: number;
  holdsReleased: number;
  cancellations: number;
  reschedules: number;
  noShows: number;
  fulfilled: number;
  bookedMinutes: number;
  availableMinutes: number;
  /** bookedMinutes / availableMinutes × 100, one decimal; null without available time. */
  utilisationPercent: number | null;
  leadTime: { medianMinutes: number | null; samples: number };
  prescreening: { decisions: number; slaMet: number; escalations: number; slaMetPercent: number | null };
  notifications: Record<Channel, Record<DeliveryOutcome, number>>;
}

// ---- dates ----

const DAY_MS = 86_400_000;

function epochDay(date: string): number {
  if (!isoDateSchema.safeParse(date).success) throw new RangeError(`invalid date "${date}", expected yyyy-mm-dd`);
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

/** What is wrong with a metrics range, or undefined: valid dates, `to` ≥ `from`, ≤ 366 days. */
export function rangeProblem(from: string, to: string): string | undefined {
  if (!isoDateSchema.safeParse(from).success || !isoDateSchema.safeParse(to).success) return "expected dates yyyy-mm-dd";
  const span = epochDay(to) - epochDay(from) + 1;
  if (span < 1) return "`to` must not be before `from`";
  if (span > MAX_METRICS_RANGE_DAYS) return `the range may span at most ${MAX_METRICS_RANGE_DAYS} days`;
  return undefined;
}

/** The dates from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = epochDay(from); d <= epochDay(to); d++) out.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  return out;
}

// ---- available doctor time ----

export interface DoctorAvailability {
  schedule: DoctorSchedule;
  /** The zone its template's wall times are read in (the clinic's). */
  timeZone: string;
}

/** Minutes of doctor time the templates and overrides offer on each local date (real elapsed
 * minutes: a 00:00–24:00 day on a DST change has 23 or 25 hours). */
export function availableMinutesByDay(doctors: DoctorAvailability[], days: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const day of days) {
    let minutes = 0;
    for (const { schedule, timeZone } of doctors) {
      for (const i of availabilityOn(schedule, day, timeZone)) minutes += (i.end - i.start) / 60_000;
    }
    out.set(day, minutes);
  }
  return out;
}

// ---- summing up ----

export function emptyRow(day: string): DayRow {
  const row = { day, leadTimes: [] } as unknown as DayRow;
  for (const c of dayCounters) row[c] = 0;
  return row;
}

/** The exact median (mean of the two middle values for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/** One summary of any set of days: a single day of the series, or the whole range. */
export function summarise(rows: readonly DayRow[], availableMinutes: number): MetricsSummary {
  const sum = emptyRow("");
  for (const row of rows) {
    for (const c of dayCounters) sum[c] += row[c];
    sum.leadTimes.push(...row.leadTimes);
  }
  const notifications = Object.fromEntries(
    channels.map((ch) => [ch, { delivered: sum[deliveryCounter(ch, "delivered")], failed: sum[deliveryCounter(ch, "failed")] }]),
  ) as MetricsSummary["notifications"];
  // An SLA period ends once: with a decision in time (slaMet) or with an escalation.
  const slaPeriods = sum.screeningSlaMet + sum.screeningEscalations;
  return {
    bookings: sum.bookings,
    holds: sum.holds,
    holdsReleased: sum.holdsReleased,
    cancellations: sum.cancellations,
    reschedules: sum.reschedules,
    noShows: sum.noShows,
    fulfilled: sum.fulfilled,
    bookedMinutes: sum.bookedMinutes,
    availableMinutes,
    utilisationPercent: percent(sum.bookedMinutes, availableMinutes),
    leadTime: { medianMinutes: median(sum.leadTimes), samples: sum.leadTimes.length },
    prescreening: {
      decisions: sum.screeningDecisions,
      slaMet: sum.screeningSlaMet,
      escalations: sum.screeningEscalations,
      slaMetPercent: percent(sum.screeningSlaMet, slaPeriods),
    },
    notifications,
  };
}
