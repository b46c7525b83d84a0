import { describe, it, expect } from "vitest";
import { DateTime } from "luxon";
import {
  availabilityOn,
  blockFor,
  computeSlots,
  isOnSlotGrid,
  localDateOf,
  slotStartsFor,
  toLocalIso,
  toUtcIso,
  weekdayOf,
  type SlotQuery,
} from "../../packages/core/src/schedule/slots";
import type { DoctorSchedule, SlotRules, TimeRange, WeeklyTemplate } from "../../packages/core/src/schedule/types";

const LONDON = "Europe/London";
const utc = (iso: string): number => Date.parse(iso);

const emptyTemplate = (): WeeklyTemplate => ({ mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] });
const weekdayTemplate = (...ranges: TimeRange[]): WeeklyTemplate => ({
  ...emptyTemplate(),
  mon: ranges,
  tue: ranges,
  wed: ranges,
  thu: ranges,
  fri: ranges,
});
const nineToFive = weekdayTemplate({ start: "09:00", end: "17:00" });

const doctor = (doctorId: string, template: WeeklyTemplate = nineToFive, overrides: DoctorSchedule["overrides"] = []): DoctorSchedule => ({
  doctorId,
  template,
  overrides,
});

const rules = (over: Partial<SlotRules> = {}): SlotRules => ({
  durationMinutes: 15,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  minimumNoticeMinutes: 0,
  bookingHorizonDays: 3650,
  ...over,
});

const query = (over: Partial<SlotQuery> = {}): SlotQuery => ({
  timeZone: LONDON,
  rules: rules(),
  doctors: [doctor("doc-a")],
  busy: [],
  fromDate: "2026-03-27",
  toDate: "2026-03-27",
  now: utc("2026-01-01T00:00:00Z"),
  ...over,
});

const byDate = (slots: ReturnType<typeof computeSlots>, zone = LONDON) => {
  const out = new Map<string, typeof slots>();
  for (const s of slots) {
    const d = localDateOf(s.start, zone);
    out.set(d, [...(out.get(d) ?? []), s]);
  }
  return out;
};

describe("computeSlots across DST changes (Europe/London, Mon–Fri 09:00–17:00, 15 min)", () => {
  it("spring forward: GMT Friday vs BST Monday, weekend empty", () => {
    const slots = computeSlots(query({ fromDate: "2026-03-27", toDate: "2026-03-30" }));
    const days = byDate(slots);
    expect([...days.keys()]).toEqual(["2026-03-27", "2026-03-30"]);

    const fri = days.get("2026-03-27")!;
    expect(fri).toHaveLength(32);
    expect(fri[0]).toEqual({
      start: utc("2026-03-27T09:00:00Z"),
      end: utc("2026-03-27T09:15:00Z"),
      localStart: "2026-03-27T09:00:00+00:00",
      doctorIds: ["doc-a"],
    });
    expect(fri.at(-1)!.localStart).toBe("2026-03-27T16:45:00+00:00");

    const mon = days.get("2026-03-30")!;
    expect(mon).toHaveLength(32);
    expect(mon[0]!.start).toBe(utc("2026-03-30T08:00:00Z"));
    expect(mon[0]!.localStart).toBe("2026-03-30T09:00:00+01:00");
    expect(mon.at(-1)!.start).toBe(utc("2026-03-30T15:45:00Z"));
    expect(mon.at(-1)!.localStart).toBe("2026-03-30T16:45:00+01:00");
  });

  it("fall back: BST Friday vs GMT Monday", () => {
    const slots = computeSlots(query({ fromDate: "2026-10-23", toDate: "2026-10-26" }));
    const days = byDate(slots);
    expect([...days.keys()]).toEqual(["2026-10-23", "2026-10-26"]);

    const fri = days.get("2026-10-23")!;
    expect(fri).toHaveLength(32);
    expect(fri[0]!.start).toBe(utc("2026-10-23T08:00:00Z"));
    expect(fri[0]!.localStart).toBe("2026-10-23T09:00:00+01:00");

    const mon = days.get("2026-10-26")!;
    expect(mon).toHaveLength(32);
    expect(mon[0]!.start).toBe(utc("2026-10-26T09:00:00Z"));
    expect(mon[0]!.localStart).toBe("2026-10-26T09:00:00+00:00");
  });

  it("an interval containing the spring-forward change has 3 real hours (12 slots)", () => {
    const d = doctor("doc-a", emptyTemplate(), [{ date: "2026-03-29", intervals: [{ start: "00:00", end: "04:00" }] }]);
    const slots = computeSlots(query({ doctors: [d], fromDate: "2026-03-29", toDate: "2026-03-29" }));
    expect(slots).toHaveLength(12);
    expect(new Set(slots.map((s) => s.start)).size).toBe(12);
    expect(slots[0]!.start).toBe(utc("2026-03-29T00:00:00Z"));
    expect(slots.at(-1)!.start).toBe(utc("2026-03-29T02:45:00Z"));
    expect(slots.map((s) => s.localStart)).toEqual([
      "2026-03-29T00:00:00+00:00",
      "2026-03-29T00:15:00+00:00",
      "2026-03-29T00:30:00+00:00",
      "2026-03-29T00:45:00+00:00",
      "2026-03-29T02:00:00+01:00",
      "2026-03-29T02:15:00+01:00",
      "2026-03-29T02:30:00+01:00",
      "2026-03-29T02:45:00+01:00",
      "2026-03-29T03:00:00+01:00",
      "2026-03-29T03:15:00+01:00",
      "2026-03-29T03:30:00+01:00",
      "2026-03-29T03:45:00+01:00",
    ]);
    for (let i = 1; i < slots.length; i++) expect(slots[i]!.start - slots[i - 1]!.start).toBe(15 * 60_000);
  });

  it("an interval containing the fall-back change has 5 real hours (20 slots), repeated wall times distinct", () => {
    const d = doctor("doc-a", emptyTemplate(), [{ date: "2026-10-25", intervals: [{ start: "00:00", end: "04:00" }] }]);
    const slots = computeSlots(query({ doctors: [d], fromDate: "2026-10-25", toDate: "2026-10-25" }));
    expect(slots).toHaveLength(20);
    expect(slots[0]!.start).toBe(utc("2026-10-24T23:00:00Z"));
    expect(slots[0]!.localStart).toBe("2026-10-25T00:00:00+01:00");
    expect(slots.at(-1)!.start).toBe(utc("2026-10-25T03:45:00Z"));
    expect(slots.at(-1)!.localStart).toBe("2026-10-25T03:45:00+00:00");
    const local = slots.map((s) => s.localStart);
    expect(local).toContain("2026-10-25T01:00:00+01:00");
    expect(local).toContain("2026-10-25T01:00:00+00:00");
    expect(new Set(local).size).toBe(20);
  });
});

describe("computeSlots grid and buffers", () => {
  it("15 min + 5 after: starts every 20 min, last block ends by 17:00", () => {
    const slots = computeSlots(query({ rules: rules({ bufferAfterMinutes: 5 }) }));
    expect(slots).toHaveLength(24);
    expect(slots.slice(0, 3).map((s) => toUtcIso(s.start))).toEqual([
      "2026-03-27T09:00:00Z",
      "2026-03-27T09:20:00Z",
      "2026-03-27T09:40:00Z",
    ]);
    const last = slots.at(-1)!;
    expect(toUtcIso(last.start)).toBe("2026-03-27T16:40:00Z");
    expect(toUtcIso(last.end)).toBe("2026-03-27T16:55:00Z");
    expect(blockFor(last.start, rules({ bufferAfterMinutes: 5 })).end).toBe(utc("2026-03-27T17:00:00Z"));
  });

  it("5 before + 15 + 5 after: blocks of 25 min laid from 09:00, slot starts after the buffer", () => {
    const r = rules({ bufferBeforeMinutes: 5, bufferAfterMinutes: 5 });
    const slots = computeSlots(query({ rules: r }));
    expect(slots).toHaveLength(19); // floor(480 / 25)
    expect(toUtcIso(slots[0]!.start)).toBe("2026-03-27T09:05:00Z");
    expect(toUtcIso(slots[1]!.start)).toBe("2026-03-27T09:30:00Z");
    expect(toUtcIso(slots.at(-1)!.start)).toBe("2026-03-27T16:35:00Z");
    expect(slots.every((s) => s.end - s.start === 15 * 60_000)).toBe(true);
  });

  it("several intervals per day, each gridded from its own start", () => {
    const d = doctor("doc-a", weekdayTemplate({ start: "09:00", end: "10:00" }, { start: "13:10", end: "14:00" }));
    const slots = computeSlots(query({ doctors: [d], rules: rules({ durationMinutes: 20 }) }));
    expect(slots.map((s) => s.localStart.slice(11, 16))).toEqual(["09:00", "09:20", "09:40", "13:10", "13:30"]);
  });
});

describe("computeSlots busy blocks and doctors", () => {
  const two = [doctor("doc-b"), doctor("doc-a")];

  it("merges doctors into one slot per start with sorted ids", () => {
    const slots = computeSlots(query({ doctors: two }));
    expect(slots).toHaveLength(32);
    expect(slots.every((s) => s.doctorIds.join() === "doc-a,doc-b")).toBe(true);
  });

  it("a busy block removes only that doctor; all busy removes the slot", () => {
    const slots = computeSlots(
      query({
        doctors: two,
        busy: [
          { doctorId: "doc-b", start: utc("2026-03-27T10:00:00Z"), end: utc("2026-03-27T10:30:00Z") },
          { doctorId: "doc-a", start: utc("2026-03-27T10:15:00Z"), end: utc("2026-03-27T10:20:00Z") },
          { doctorId: "doc-x", start: utc("2026-03-27T09:00:00Z"), end: utc("2026-03-27T17:00:00Z") }, // not queried
        ],
      }),
    );
    const at = (hhmm: string) => slots.find((s) => s.start === utc(`2026-03-27T${hhmm}:00Z`));
    expect(at("09:45")!.doctorIds).toEqual(["doc-a", "doc-b"]);
    expect(at("10:00")!.doctorIds).toEqual(["doc-a"]);
    expect(at("10:15")).toBeUndefined(); // both busy
    expect(at("10:30")!.doctorIds).toEqual(["doc-a", "doc-b"]);
    expect(slots).toHaveLength(31);
  });

  it("touching blocks do not remove a doctor, with or without buffers", () => {
    const busy = [
      { doctorId: "doc-a", start: utc("2026-03-27T08:00:00Z"), end: utc("2026-03-27T09:00:00Z") },
      { doctorId: "doc-a", start: utc("2026-03-27T09:20:00Z"), end: utc("2026-03-27T09:40:00Z") },
    ];
    const r = rules({ bufferAfterMinutes: 5 });
    const slots = computeSlots(query({ rules: r, busy }));
    expect(slots[0]!.start).toBe(utc("2026-03-27T09:00:00Z")); // block [09:00, 09:20) touches both
    expect(slots[1]!.start).toBe(utc("2026-03-27T09:40:00Z")); // 09:20 overlaps
    // one minute more on either side overlaps
    const overlapping = computeSlots(
      query({ rules: r, busy: [{ doctorId: "doc-a", start: utc("2026-03-27T09:19:00Z"), end: utc("2026-03-27T09:20:00Z") }] }),
    );
    expect(overlapping[0]!.start).toBe(utc("2026-03-27T09:20:00Z"));
  });

  it("buffers of the slot count for overlap", () => {
    const r = rules({ bufferBeforeMinutes: 10 });
    // slot 09:10 has block [09:00, 09:25); busy [08:55, 09:01) hits the before-buffer
    const slots = computeSlots(
      query({ rules: r, busy: [{ doctorId: "doc-a", start: utc("2026-03-27T08:55:00Z"), end: utc("2026-03-27T09:01:00Z") }] }),
    );
    expect(toUtcIso(slots[0]!.start)).toBe("2026-03-27T09:35:00Z");
  });
});

describe("computeSlots overrides, notice and horizon", () => {
  it("an override replaces the template; an empty override is a day off", () => {
    const d = doctor("doc-a", nineToFive, [
      { date: "2026-03-30", intervals: [{ start: "13:00", end: "14:00" }] },
      { date: "2026-03-31", intervals: [] },
      { date: "2026-03-28", intervals: [{ start: "10:00", end: "10:30" }] }, // Saturday
    ]);
    const slots = computeSlots(query({ doctors: [d], fromDate: "2026-03-28", toDate: "2026-04-01" }));
    const days = byDate(slots);
    expect([...days.keys()]).toEqual(["2026-03-28", "2026-03-30", "2026-04-01"]);
    expect(days.get("2026-03-28")!.map((s) => s.localStart)).toEqual(["2026-03-28T10:00:00+00:00", "2026-03-28T10:15:00+00:00"]);
    expect(days.get("2026-03-30")!.map((s) => s.localStart)).toEqual([
      "2026-03-30T13:00:00+01:00",
      "2026-03-30T13:15:00+01:00",
      "2026-03-30T13:30:00+01:00",
      "2026-03-30T13:45:00+01:00",
    ]);
    expect(days.get("2026-04-01")).toHaveLength(32);
  });

  it("minimum notice and booking horizon cut (both bounds inclusive)", () => {
    const now = utc("2026-03-30T08:00:00Z"); // 09:00 BST Monday
    const slots = computeSlots(
      query({
        now,
        rules: rules({ minimumNoticeMinutes: 60, bookingHorizonDays: 1 }),
        fromDate: "2026-03-29",
        toDate: "2026-04-03",
      }),
    );
    expect(slots[0]!.start).toBe(utc("2026-03-30T09:00:00Z")); // now + 60 min exactly
    expect(slots.at(-1)!.start).toBe(utc("2026-03-31T08:00:00Z")); // now + 24 h exactly
    expect(slots).toHaveLength(28 + 1);
  });

  it("notice in the middle of a slot drops it", () => {
    const now = utc("2026-03-27T08:50:00Z");
    const slots = computeSlots(query({ now, rules: rules({ minimumNoticeMinutes: 15 }) }));
    expect(slots[0]!.start).toBe(utc("2026-03-27T09:15:00Z"));
  });

  it("returns [] for an empty range or no doctors", () => {
    expect(computeSlots(query({ fromDate: "2026-03-28", toDate: "2026-03-27" }))).toEqual([]);
    expect(computeSlots(query({ doctors: [] }))).toEqual([]);
  });

  it("a doctor with overlapping intervals is listed once per start", () => {
    const d = doctor("doc-a", weekdayTemplate({ start: "09:00", end: "10:00" }, { start: "09:30", end: "10:30" }));
    const slots = computeSlots(query({ doctors: [d] }));
    expect(slots.map((s) => s.localStart.slice(11, 16))).toEqual(["09:00", "09:15", "09:30", "09:45", "10:00", "10:15"]);
    expect(slots.every((s) => s.doctorIds.length === 1)).toBe(true);
  });
});

describe("availabilityOn", () => {
  it("uses template by weekday and override by date", () => {
    const d = doctor("doc-a", nineToFive, [{ date: "2026-03-31", intervals: [] }]);
    expect(availabilityOn(d, "2026-03-30", LONDON)).toEqual([
      { start: utc("2026-03-30T08:00:00Z"), end: utc("2026-03-30T16:00:00Z") },
    ]);
    expect(availabilityOn(d, "2026-03-31", LONDON)).toEqual([]);
    expect(availabilityOn(d, "2026-03-28", LONDON)).toEqual([]);
  });

  it("24:00 is the start of the next local day; gap times shift forward; overlap times take the earlier instant", () => {
    const d = doctor("doc-a", emptyTemplate(), [
      { date: "2026-03-29", intervals: [{ start: "01:30", end: "24:00" }] },
      { date: "2026-10-25", intervals: [{ start: "01:30", end: "24:00" }] },
    ]);
    expect(availabilityOn(d, "2026-03-29", LONDON)).toEqual([
      { start: utc("2026-03-29T01:30:00Z"), end: utc("2026-03-29T23:00:00Z") }, // 02:30 BST .. 00:00 BST
    ]);
    expect(availabilityOn(d, "2026-10-25", LONDON)).toEqual([
      { start: utc("2026-10-25T00:30:00Z"), end: utc("2026-10-26T00:00:00Z") }, // 01:30 BST (first) .. 00:00 GMT
    ]);
  });
});

describe("slotStartsFor / isOnSlotGrid / blockFor", () => {
  const r = rules({ bufferBeforeMinutes: 5, bufferAfterMinutes: 10 });
  const d = doctor("doc-a");

  it("grid ignores busy and notice", () => {
    const starts = slotStartsFor(d, r, "2026-03-30", LONDON);
    expect(starts).toHaveLength(16); // 480 / 30
    expect(starts[0]).toBe(utc("2026-03-30T08:05:00Z"));
    expect(starts[1]).toBe(utc("2026-03-30T08:35:00Z"));
    expect(slotStartsFor(d, r, "2026-03-29", LONDON)).toEqual([]);
  });

  it("isOnSlotGrid", () => {
    expect(isOnSlotGrid(d, r, utc("2026-03-30T08:05:00Z"), LONDON)).toBe(true);
    expect(isOnSlotGrid(d, r, utc("2026-03-30T15:35:00Z"), LONDON)).toBe(true);
    expect(isOnSlotGrid(d, r, utc("2026-03-30T08:00:00Z"), LONDON)).toBe(false);
    expect(isOnSlotGrid(d, r, utc("2026-03-30T08:10:00Z"), LONDON)).toBe(false);
    expect(isOnSlotGrid(d, r, utc("2026-03-30T16:05:00Z"), LONDON)).toBe(false); // block would end 16:35 > 16:00
    expect(isOnSlotGrid(d, r, utc("2026-03-29T08:05:00Z"), LONDON)).toBe(false); // Sunday
  });

  it("blockFor adds the buffers", () => {
    const s = utc("2026-03-30T08:05:00Z");
    expect(blockFor(s, r)).toEqual({ start: utc("2026-03-30T08:00:00Z"), end: utc("2026-03-30T08:30:00Z") });
  });
});

describe("formatting helpers", () => {
  it("toLocalIso always uses a numeric offset and no millis", () => {
    expect(toLocalIso(utc("2026-01-15T09:00:00.123Z"), LONDON)).toBe("2026-01-15T09:00:00+00:00");
    expect(toLocalIso(utc("2026-07-15T08:00:00Z"), LONDON)).toBe("2026-07-15T09:00:00+01:00");
    expect(toLocalIso(utc("2026-07-15T08:00:00Z"), "UTC")).toBe("2026-07-15T08:00:00+00:00");
    expect(toLocalIso(utc("2026-07-15T08:00:00Z"), "America/New_York")).toBe("2026-07-15T04:00:00-04:00");
    expect(toLocalIso(utc("2026-07-15T08:00:00Z"), "Asia/Kolkata")).toBe("2026-07-15T13:30:00+05:30");
    expect(toLocalIso(utc("2026-01-15T08:00:00Z"), "Pacific/Chatham")).toBe("2026-01-15T21:45:00+13:45");
    expect(toLocalIso(utc("2026-01-15T08:00:00Z"), "America/Sao_Paulo")).toBe("2026-01-15T05:00:00-03:00");
  });

  it("toUtcIso", () => {
    expect(toUtcIso(utc("2026-03-30T08:00:00.999Z"))).toBe("2026-03-30T08:00:00Z");
  });

  it("localDateOf and weekdayOf", () => {
    expect(localDateOf(utc("2026-03-29T23:30:00Z"), LONDON)).toBe("2026-03-30");
    expect(localDateOf(utc("2026-03-29T23:30:00Z"), "America/New_York")).toBe("2026-03-29");
    expect(weekdayOf("2026-03-30")).toBe("mon");
    expect(weekdayOf("2026-03-29")).toBe("sun");
    expect(weekdayOf("2028-02-29")).toBe("tue");
    expect(() => weekdayOf("2026-02-30")).toThrow(RangeError);
  });

  it("localStart matches luxon round trip", () => {
    for (const s of computeSlots(query({ fromDate: "2026-03-23", toDate: "2026-04-03" }))) {
      expect(DateTime.fromISO(s.localStart, { setZone: true }).toMillis()).toBe(s.start);
    }
  });
});
