import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DateTime } from "luxon";
import {
  availabilityOn,
  blockFor,
  computeSlots,
  isOnSlotGrid,
  slotStartsFor,
  toLocalIso,
  weekdayOf,
} from "../../packages/core/src/schedule/slots";
import {
  weekdays,
  type BusyBlock,
  type DoctorSchedule,
  type SlotRules,
  type TimeRange,
  type WeeklyTemplate,
} from "../../packages/core/src/schedule/types";

const ZONES = [
  "Europe/London",
  "America/New_York",
  "Australia/Sydney",
  "Asia/Kolkata",
  "America/Sao_Paulo",
  "Pacific/Chatham",
  "Asia/Tokyo",
] as const;
type Zone = (typeof ZONES)[number];

const MIN = 60_000;
const NUM_RUNS = 200;

// ---------------------------------------------------------------------------------------------
// Independent helpers (written against luxon directly, not via the engine)
// ---------------------------------------------------------------------------------------------

const addDays = (date: string, n: number): string =>
  DateTime.fromISO(date, { zone: "utc" }).plus({ days: n }).toISODate()!;

const pad2 = (n: number) => String(n).padStart(2, "0");
const hhmm = (minutes: number): string => (minutes === 1440 ? "24:00" : `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`);
const minutesOf = (t: string): number => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** Local dates (2026–2027) during which the zone's UTC offset changes. */
function dstChangeDates(zone: string): string[] {
  const out: string[] = [];
  let day = DateTime.fromISO("2026-01-01", { zone });
  while (day.year < 2028) {
    const next = day.plus({ days: 1 });
    if (day.offset !== next.offset) out.push(day.toISODate()!);
    day = next;
  }
  return out;
}
const DST_DATES: Record<Zone, string[]> = Object.fromEntries(ZONES.map((z) => [z, dstChangeDates(z)])) as Record<Zone, string[]>;
const DST_SET: Record<Zone, Set<string>> = Object.fromEntries(ZONES.map((z) => [z, new Set(DST_DATES[z])])) as Record<Zone, Set<string>>;

/** Wall time → instant; gap shifted forward (luxon), overlap → earliest instant. */
function wallInstant(date: string, time: string, zone: string): number {
  const dt = time === "24:00" ? DateTime.fromISO(addDays(date, 1), { zone }) : DateTime.fromISO(`${date}T${time}`, { zone });
  return Math.min(...dt.getPossibleOffsets().map((d) => d.toMillis()));
}

function rangesFor(d: DoctorSchedule, date: string): TimeRange[] {
  const o = d.overrides.find((x) => x.date === date);
  return o ? o.intervals : d.template[weekdayOf(date)];
}

const stepOf = (r: SlotRules) => r.bufferBeforeMinutes + r.durationMinutes + r.bufferAfterMinutes;

function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

const overlaps = (b: BusyBlock, block: { start: number; end: number }) => b.start < block.end && b.end > block.start;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const rangesArb: fc.Arbitrary<TimeRange[]> = fc
  .uniqueArray(fc.integer({ min: 0, max: 288 }), { maxLength: 6 })
  .map((xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const out: TimeRange[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) out.push({ start: hhmm(sorted[i]! * 5), end: hhmm(sorted[i + 1]! * 5) });
    return out;
  });

const templateArb: fc.Arbitrary<WeeklyTemplate> = fc.record(
  Object.fromEntries(weekdays.map((d) => [d, rangesArb])) as Record<keyof WeeklyTemplate, fc.Arbitrary<TimeRange[]>>,
);

const rulesArb: fc.Arbitrary<SlotRules> = fc.record({
  durationMinutes: fc.integer({ min: 1, max: 24 }).map((x) => x * 5),
  bufferBeforeMinutes: fc.integer({ min: 0, max: 6 }).map((x) => x * 5),
  bufferAfterMinutes: fc.integer({ min: 0, max: 6 }).map((x) => x * 5),
  minimumNoticeMinutes: fc.constant(0),
  bookingHorizonDays: fc.constant(36500),
});

const randomDateArb = fc.integer({ min: 0, max: 729 }).map((i) => addDays("2026-01-01", i));

function dateArb(zone: Zone): fc.Arbitrary<string> {
  const special = DST_DATES[zone].flatMap((d) => [addDays(d, -1), d, addDays(d, 1)]);
  return special.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...special) }, { weight: 1, arbitrary: randomDateArb }) : randomDateArb;
}

const zoneArb = fc.constantFrom(...ZONES);

interface Case {
  zone: Zone;
  fromDate: string;
  toDate: string;
  rules: SlotRules;
  doctors: DoctorSchedule[];
  busy: BusyBlock[];
  now: number;
}

const caseArb: fc.Arbitrary<Case> = zoneArb.chain((zone) =>
  fc
    .record({
      date: dateArb(zone),
      days: fc.integer({ min: 1, max: 3 }),
      rules: rulesArb,
      docs: fc.array(fc.record({ template: templateArb, override: fc.option(rangesArb, { nil: undefined }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      busy: fc.array(
        fc.record({
          doctor: fc.nat({ max: 2 }),
          dayOffset: fc.integer({ min: -1, max: 3 }),
          startMin: fc.integer({ min: -15 * 12, max: 39 * 12 }).map((x) => x * 5),
          lenMin: fc.integer({ min: 1, max: 60 }).map((x) => x * 5),
        }),
        { maxLength: 12 },
      ),
      withNow: fc.boolean(),
      nowFrac: fc.double({ min: 0, max: 1, noNaN: true }),
      notice: fc.integer({ min: 0, max: 48 }).map((x) => x * 30),
      horizonDays: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ date, days, rules, docs, busy, withNow, nowFrac, notice, horizonDays }): Case => {
      const toDate = addDays(date, days - 1);
      const doctors = docs.map((d, i) => ({
        doctorId: `doc-${String.fromCharCode(99 - i)}`, // unsorted on purpose: doc-c, doc-b, doc-a
        template: d.template,
        overrides: d.override ? [{ date: addDays(date, i % days), intervals: d.override }] : [],
      }));
      const base = Date.parse(`${date}T00:00:00Z`);
      const busyBlocks = busy
        .filter((b) => b.doctor < doctors.length)
        .map((b) => {
          const start = base + b.dayOffset * 86_400_000 + b.startMin * MIN;
          return { doctorId: doctors[b.doctor]!.doctorId, start, end: start + b.lenMin * MIN };
        });
      const span = Date.parse(`${toDate}T00:00:00Z`) + 86_400_000 - base;
      const r = withNow ? { ...rules, minimumNoticeMinutes: notice, bookingHorizonDays: horizonDays } : rules;
      const now = withNow ? base - 14 * 3_600_000 + Math.floor(nowFrac * span) : Date.parse("2000-01-01T00:00:00Z");
      return { zone, fromDate: date, toDate, rules: r, doctors, busy: busyBlocks, now };
    }),
);

const run = (c: Case) =>
  computeSlots({
    timeZone: c.zone,
    rules: c.rules,
    doctors: c.doctors,
    busy: c.busy,
    fromDate: c.fromDate,
    toDate: c.toDate,
    now: c.now,
  });

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe("slot engine properties", () => {
  it("finds the DST change dates the generators rely on", () => {
    expect(DST_DATES["Europe/London"]).toEqual(["2026-03-29", "2026-10-25", "2027-03-28", "2027-10-31"]);
    expect(DST_DATES["America/New_York"]).toEqual(["2026-03-08", "2026-11-01", "2027-03-14", "2027-11-07"]);
    expect(DST_DATES["Australia/Sydney"]).toEqual(["2026-04-05", "2026-10-04", "2027-04-04", "2027-10-03"]);
    expect(DST_DATES["Pacific/Chatham"]).toEqual(["2026-04-05", "2026-09-27", "2027-04-04", "2027-09-26"]);
    for (const z of ["Asia/Kolkata", "America/Sao_Paulo", "Asia/Tokyo"] as const) expect(DST_DATES[z]).toEqual([]);
  });

  it("starts strictly increasing, end - start = duration, doctorIds sorted and distinct", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const slots = run(c);
        for (let i = 0; i < slots.length; i++) {
          const s = slots[i]!;
          if (i > 0) expect(s.start).toBeGreaterThan(slots[i - 1]!.start);
          expect(s.end - s.start).toBe(c.rules.durationMinutes * MIN);
          expect(s.doctorIds.length).toBeGreaterThan(0);
          expect(s.doctorIds).toEqual([...new Set(s.doctorIds)].sort());
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("no listed doctor has a busy block overlapping the slot's block; notice and horizon respected", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const s of run(c)) {
          const block = blockFor(s.start, c.rules);
          expect(block.end - block.start).toBe(stepOf(c.rules) * MIN);
          for (const id of s.doctorIds) expect(c.busy.filter((b) => b.doctorId === id && overlaps(b, block))).toEqual([]);
          expect(s.start).toBeGreaterThanOrEqual(c.now + c.rules.minimumNoticeMinutes * MIN);
          expect(s.start).toBeLessThanOrEqual(c.now + c.rules.bookingHorizonDays * 86_400_000);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("localStart round-trips through luxon and carries the zone's offset", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        for (const s of run(c)) {
          expect(s.localStart).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00[+-]\d\d:\d\d$/);
          const parsed = DateTime.fromISO(s.localStart, { setZone: true });
          expect(parsed.toMillis()).toBe(s.start);
          expect(parsed.offset).toBe(DateTime.fromMillis(s.start, { zone: c.zone }).offset);
          expect(toLocalIso(s.start, c.zone)).toBe(s.localStart);
          expect(DateTime.fromISO(toLocalIso(s.start, c.zone), { setZone: true }).toMillis()).toBe(s.start);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("each slot is on every listed doctor's grid and inside their availability (local wall time on plain days)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const step = stepOf(c.rules);
        const { bufferBeforeMinutes: bb, durationMinutes: dur, bufferAfterMinutes: ba } = c.rules;
        for (const s of run(c)) {
          const date = s.localStart.slice(0, 10);
          const wall = minutesOf(s.localStart.slice(11, 16));
          for (const id of s.doctorIds) {
            const doc = c.doctors.find((d) => d.doctorId === id)!;
            expect(isOnSlotGrid(doc, c.rules, s.start, c.zone)).toBe(true);
            expect(isOnSlotGrid(doc, c.rules, s.start + MIN, c.zone)).toBe(false);
            const ranges = rangesFor(doc, date);
            if (!DST_SET[c.zone].has(date)) {
              // pure wall-clock arithmetic on the local string
              const ok = ranges.some((r) => {
                const rs = minutesOf(r.start);
                const re = r.end === "24:00" ? 1440 : minutesOf(r.end);
                return wall - bb >= rs && wall + dur + ba <= re && (wall - bb - rs) % step === 0;
              });
              expect(ok, `${s.localStart} not on the local grid of ${JSON.stringify(ranges)}`).toBe(true);
            } else {
              // DST day: grid in real elapsed time from the converted range start
              const ok = ranges.some((r) => {
                const a = wallInstant(date, r.start, c.zone);
                const b = wallInstant(date, r.end, c.zone);
                return s.start - bb * MIN >= a && s.start + (dur + ba) * MIN <= b && (s.start - bb * MIN - a) % (step * MIN) === 0;
              });
              expect(ok, `${s.localStart} not on the real-time grid of ${JSON.stringify(ranges)}`).toBe(true);
            }
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("equals a naive reference (grid starts × linear busy scan × window)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const lo = c.now + c.rules.minimumNoticeMinutes * MIN;
        const hi = c.now + c.rules.bookingHorizonDays * 86_400_000;
        const expected = new Map<number, string[]>();
        for (const doc of c.doctors) {
          for (const date of datesBetween(c.fromDate, c.toDate)) {
            for (const start of slotStartsFor(doc, c.rules, date, c.zone)) {
              if (start < lo || start > hi) continue;
              const block = blockFor(start, c.rules);
              if (c.busy.some((b) => b.doctorId === doc.doctorId && overlaps(b, block))) continue;
              const ids = expected.get(start) ?? [];
              if (!ids.includes(doc.doctorId)) ids.push(doc.doctorId);
              expected.set(start, ids);
            }
          }
        }
        const want = [...expected.entries()]
          .sort(([a], [b]) => a - b)
          .map(([start, ids]) => ({
            start,
            end: start + c.rules.durationMinutes * MIN,
            localStart: toLocalIso(start, c.zone),
            doctorIds: ids.sort(),
          }));
        expect(run(c)).toEqual(want);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("grid starts per doctor per day = Σ floor(realMinutes(interval) / step)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const step = stepOf(c.rules);
        for (const doc of c.doctors) {
          for (const date of datesBetween(c.fromDate, c.toDate)) {
            const intervals = rangesFor(doc, date)
              .map((r) => ({ r, a: wallInstant(date, r.start, c.zone), b: wallInstant(date, r.end, c.zone) }))
              .filter((i) => i.b > i.a);
            if (!DST_SET[c.zone].has(date)) {
              for (const i of intervals) expect((i.b - i.a) / MIN).toBe(minutesOf(i.r.end === "24:00" ? "24:00" : i.r.end) - minutesOf(i.r.start));
            }
            expect(availabilityOn(doc, date, c.zone)).toEqual(
              intervals.map(({ a, b }) => ({ start: a, end: b })).sort((x, y) => x.start - y.start || x.end - y.end),
            );
            const sum = intervals.reduce((acc, i) => acc + Math.floor((i.b - i.a) / MIN / step), 0);
            const starts = slotStartsFor(doc, c.rules, date, c.zone);
            const sorted = [...intervals].sort((x, y) => x.a - y.a);
            const disjoint = sorted.every((x, k) => k === 0 || sorted[k - 1]!.b <= x.a);
            // ranges are disjoint in wall time; in real time only a DST gap can make them overlap
            if (disjoint) expect(starts.length).toBe(sum);
            else expect(starts.length).toBeLessThanOrEqual(sum);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("first slot of each day is at the template start (local) on both sides of every DST change", () => {
    const dstCases = fc.constantFrom(...ZONES.filter((z) => DST_DATES[z].length > 0)).chain((zone) =>
      fc.record({
        zone: fc.constant(zone),
        date: fc.constantFrom(...DST_DATES[zone]),
        startMin: fc.integer({ min: 0, max: 276 }).map((x) => x * 5),
        lenMin: fc.integer({ min: 1, max: 288 }).map((x) => x * 5),
        rules: rulesArb.map((r) => ({ ...r, bufferBeforeMinutes: 0 })),
      }),
    );
    fc.assert(
      fc.property(dstCases, ({ zone, date, startMin, lenMin, rules }) => {
        const endMin = Math.min(1440, startMin + lenMin);
        const range = { start: hhmm(startMin), end: hhmm(endMin) };
        const template = Object.fromEntries(weekdays.map((d) => [d, [range]])) as WeeklyTemplate;
        const doc: DoctorSchedule = { doctorId: "d", template, overrides: [] };
        const slots = computeSlots({
          timeZone: zone,
          rules,
          doctors: [doc],
          busy: [],
          fromDate: addDays(date, -1),
          toDate: addDays(date, 1),
          now: 0,
        });
        for (const day of [addDays(date, -1), date, addDays(date, 1)]) {
          const first = slots.find((s) => s.localStart.startsWith(day));
          const a = wallInstant(day, range.start, zone);
          const b = wallInstant(day, range.end, zone);
          const fits = b - a >= stepOf(rules) * MIN;
          expect(first !== undefined, `${zone} ${day} ${JSON.stringify(range)}`).toBe(fits);
          if (!first) continue;
          expect(first.start).toBe(a);
          const inGap = DateTime.fromISO(`${day}T${range.start}`, { zone }).toFormat("HH:mm") !== range.start;
          if (!inGap) expect(first.localStart.slice(11, 16)).toBe(range.start);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("09:00 template start is 09:00 local on every DST-change date ±1 in every zone", () => {
    for (const zone of ZONES) {
      for (const date of DST_DATES[zone].flatMap((d) => [addDays(d, -1), d, addDays(d, 1)])) {
        const template = Object.fromEntries(weekdays.map((d) => [d, [{ start: "09:00", end: "17:00" }]])) as WeeklyTemplate;
        const slots = computeSlots({
          timeZone: zone,
          rules: { durationMinutes: 15, bufferBeforeMinutes: 0, bufferAfterMinutes: 0, minimumNoticeMinutes: 0, bookingHorizonDays: 36500 },
          doctors: [{ doctorId: "d", template, overrides: [] }],
          busy: [],
          fromDate: date,
          toDate: date,
          now: 0,
        });
        expect(slots).toHaveLength(32);
        expect(slots[0]!.localStart.slice(0, 16)).toBe(`${date}T09:00`);
        expect(slots.at(-1)!.localStart.slice(0, 16)).toBe(`${date}T16:45`);
      }
    }
  });
});
