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
/** Generous so that shrinking a counterexample on a loaded machine reports it instead of timing out. */
const PROPERTY_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Independent helpers (written against luxon directly, not via the engine)
// ---------------------------------------------------------------------------------------------

const addDays = (date: string, n: number): string =>
  DateTime.fromISO(date, { zone: "utc" }).plus({ days: n }).toISODate()!;

const pad2 = (n: number) => String(n).padStart(2, "0");
const hhmm = (minutes: number): string => (minutes === 1440 ? "24:00" : `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`);
/** "HH:mm" → minutes of day ("24:00" → 1440). */
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

function check(cond: boolean, message: () => string): void {
  if (!cond) throw new Error(message());
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

  it("invariants: order, duration, free doctors, window, localStart, grid position", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const step = stepOf(c.rules);
        const { bufferBeforeMinutes: bb, durationMinutes: dur, bufferAfterMinutes: ba } = c.rules;
        const lo = c.now + c.rules.minimumNoticeMinutes * MIN;
        const hi = c.now + c.rules.bookingHorizonDays * 86_400_000;
        const instants = new Map<string, number>();
        const instant = (date: string, time: string) => {
          const key = `${date}T${time}`;
          let v = instants.get(key);
          if (v === undefined) instants.set(key, (v = wallInstant(date, time, c.zone)));
          return v;
        };
        const slots = run(c);
        slots.forEach((s, i) => {
          const ctx = () => `${c.zone} slot ${s.localStart} ${JSON.stringify(s.doctorIds)}`;
          check(i === 0 || s.start > slots[i - 1]!.start, () => `not strictly increasing at ${ctx()}`);
          check(s.end - s.start === dur * MIN, () => `wrong duration at ${ctx()}`);
          check(s.doctorIds.length > 0, () => `no doctors at ${ctx()}`);
          check(s.doctorIds.every((id, k) => k === 0 || s.doctorIds[k - 1]! < id), () => `doctorIds not sorted/distinct at ${ctx()}`);
          check(s.start >= lo && s.start <= hi, () => `outside notice/horizon window at ${ctx()}`);
          // localStart: shape and instant (Date.parse is independent of luxon and of the engine)
          check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00[+-]\d\d:\d\d$/.test(s.localStart), () => `bad localStart ${ctx()}`);
          check(Date.parse(s.localStart) === s.start, () => `localStart does not denote start at ${ctx()}`);

          const block = blockFor(s.start, c.rules);
          const date = s.localStart.slice(0, 10);
          const wall = minutesOf(s.localStart.slice(11, 16));
          for (const id of s.doctorIds) {
            const clash = c.busy.find((b) => b.doctorId === id && overlaps(b, block));
            check(!clash, () => `${id} busy ${JSON.stringify(clash)} at ${ctx()}`);
            const doc = c.doctors.find((d) => d.doctorId === id)!;
            const ranges = rangesFor(doc, date);
            const onGrid = DST_SET[c.zone].has(date)
              ? // DST-change day: grid in real elapsed time from the luxon-converted range start
                ranges.some((r) => {
                  const a = instant(date, r.start);
                  const b = instant(date, r.end);
                  return block.start >= a && block.end <= b && (block.start - a) % (step * MIN) === 0;
                })
              : // plain day: pure wall-clock arithmetic on the local string
                ranges.some((r) => {
                  const rs = minutesOf(r.start);
                  const re = minutesOf(r.end);
                  return wall - bb >= rs && wall + dur + ba <= re && (wall - bb - rs) % step === 0;
                });
            check(onGrid, () => `${id}: not on the grid of ${JSON.stringify(ranges)} at ${ctx()}`);
          }
        });
        // luxon cross-checks on a sample: every offset change plus first/last and a few more
        const sample = slots.filter(
          (s, i) => i === 0 || i === slots.length - 1 || i % 17 === 0 || s.localStart.slice(19) !== slots[i - 1]!.localStart.slice(19),
        );
        for (const s of sample) {
          const parsed = DateTime.fromISO(s.localStart, { setZone: true });
          check(parsed.toMillis() === s.start, () => `luxon parse mismatch ${s.localStart}`);
          check(parsed.offset === DateTime.fromMillis(s.start, { zone: c.zone }).offset, () => `offset mismatch ${s.localStart}`);
          check(toLocalIso(s.start, c.zone) === s.localStart, () => `toLocalIso mismatch ${s.localStart}`);
        }
        for (const s of sample.slice(0, 1)) {
          const doc = c.doctors.find((d) => d.doctorId === s.doctorIds[0])!;
          check(isOnSlotGrid(doc, c.rules, s.start, c.zone), () => `isOnSlotGrid false for ${s.localStart}`);
          check(!isOnSlotGrid(doc, c.rules, s.start + MIN, c.zone), () => `isOnSlotGrid true off-grid ${s.localStart}`);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

  it("matches an independent reference; grid starts per doctor per day = Σ floor(realMinutes / step)", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const step = stepOf(c.rules) * MIN;
        const bb = c.rules.bufferBeforeMinutes * MIN;
        const lo = c.now + c.rules.minimumNoticeMinutes * MIN;
        const hi = c.now + c.rules.bookingHorizonDays * 86_400_000;
        const expected = new Map<number, Set<string>>();
        for (const doc of c.doctors) {
          for (const date of datesBetween(c.fromDate, c.toDate)) {
            const intervals = rangesFor(doc, date)
              .map((r) => ({ r, a: wallInstant(date, r.start, c.zone), b: wallInstant(date, r.end, c.zone) }))
              .filter((i) => i.b > i.a)
              .sort((x, y) => x.a - y.a || x.b - y.b);
            if (!DST_SET[c.zone].has(date)) {
              for (const i of intervals) {
                check((i.b - i.a) / MIN === minutesOf(i.r.end) - minutesOf(i.r.start), () => `real minutes ≠ wall minutes on ${date}`);
              }
            }
            const avail = availabilityOn(doc, date, c.zone);
            check(
              JSON.stringify(avail) === JSON.stringify(intervals.map(({ a, b }) => ({ start: a, end: b }))),
              () => `availabilityOn ${date}: ${JSON.stringify(avail)}`,
            );

            const grid = new Set<number>();
            let sum = 0;
            for (const { a, b } of intervals) {
              sum += Math.floor((b - a) / step);
              for (let blk = a; blk + step <= b; blk += step) grid.add(blk + bb);
            }
            const starts = slotStartsFor(doc, c.rules, date, c.zone);
            check(
              JSON.stringify(starts) === JSON.stringify([...grid].sort((x, y) => x - y)),
              () => `slotStartsFor ${doc.doctorId} ${date}`,
            );
            // wall-disjoint ranges stay disjoint in real time unless an endpoint sits in a DST gap
            const disjoint = intervals.every((x, k) => k === 0 || intervals[k - 1]!.b <= x.a);
            check(disjoint ? starts.length === sum : starts.length <= sum, () => `count ${starts.length} vs ${sum} on ${date}`);

            for (const start of grid) {
              if (start < lo || start > hi) continue;
              const block = { start: start - bb, end: start + (c.rules.durationMinutes + c.rules.bufferAfterMinutes) * MIN };
              if (c.busy.some((x) => x.doctorId === doc.doctorId && overlaps(x, block))) continue;
              const ids = expected.get(start) ?? new Set<string>();
              ids.add(doc.doctorId);
              expected.set(start, ids);
            }
          }
        }
        const want = [...expected.entries()]
          .sort(([a], [b]) => a - b)
          .map(([start, ids]) => ({ start, end: start + c.rules.durationMinutes * MIN, doctorIds: [...ids].sort() }));
        expect(run(c).map(({ start, end, doctorIds }) => ({ start, end, doctorIds }))).toEqual(want);
      }),
      { numRuns: NUM_RUNS },
    );
  }, PROPERTY_TIMEOUT_MS);

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
  }, PROPERTY_TIMEOUT_MS);

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
