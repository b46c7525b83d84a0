import { describe, expect, it } from "vitest";
import { metricsQuerySchema } from "../../packages/core/src/metrics/api";
import {
  availableMinutesByDay,
  daysBetween,
  emptyRow,
  median,
  rangeProblem,
  summarise,
  type DayRow,
} from "../../packages/core/src/metrics/report";
import type { DoctorSchedule, WeeklyTemplate } from "../../packages/core/src/schedule/types";

const BERLIN = "Europe/Berlin";
const week = (over: Partial<WeeklyTemplate>): WeeklyTemplate => ({ mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [], ...over });
const schedule = (template: WeeklyTemplate, overrides: DoctorSchedule["overrides"] = []): DoctorSchedule => ({ doctorId: "d", template, overrides });
const row = (day: string, over: Partial<DayRow>): DayRow => ({ ...emptyRow(day), ...over });

describe("median", () => {
  it("is the middle value of an odd count, the mean of the two middle ones of an even count, null when empty", () => {
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 30, 20])).toBe(25);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});

describe("metrics ranges", () => {
  it("accepts up to 366 days inclusive and refuses reversed, longer or impossible ranges", () => {
    expect(rangeProblem("2026-01-01", "2026-01-01")).toBeUndefined();
    expect(rangeProblem("2028-01-01", "2028-12-31")).toBeUndefined(); // a leap year: 366 days
    expect(rangeProblem("2026-01-01", "2027-01-02")).toMatch(/366/);
    expect(rangeProblem("2026-01-02", "2026-01-01")).toMatch(/before/);
    expect(rangeProblem("2026-02-30", "2026-03-01")).toMatch(/yyyy-mm-dd/);
  });

  it("lists every date of a range across month ends and 29 February", () => {
    expect(daysBetween("2028-02-28", "2028-03-01")).toEqual(["2028-02-28", "2028-02-29", "2028-03-01"]);
    expect(daysBetween("2026-12-31", "2027-01-01")).toEqual(["2026-12-31", "2027-01-01"]);
  });

  it("validates the query: clinic optional, dates required, range checked on `to`", () => {
    expect(metricsQuerySchema.safeParse({ from: "2026-04-01", to: "2026-04-30" }).success).toBe(true);
    expect(metricsQuerySchema.parse({ clinicId: "c1", from: "2026-04-01", to: "2026-04-30" }).clinicId).toBe("c1");
    const reversed = metricsQuerySchema.safeParse({ from: "2026-04-30", to: "2026-04-01" });
    expect(reversed.success).toBe(false);
    expect(reversed.error?.issues[0]).toMatchObject({ path: ["to"], message: expect.stringMatching(/before/) });
    expect(metricsQuerySchema.safeParse({ from: "2026-01-01", to: "2027-01-02" }).success).toBe(false);
    expect(metricsQuerySchema.safeParse({ from: "2026-04-01" }).success).toBe(false);
    const malformed = metricsQuerySchema.safeParse({ from: "01/04/2026", to: "2026-04-02" });
    expect(malformed.error?.issues.map((i) => i.path)).toEqual([["from"]]); // reported once, on its field
  });
});

describe("available doctor minutes", () => {
  it("counts real elapsed minutes: a whole-day template has 23 and 25 hours on the DST changes", () => {
    const allSunday = schedule(week({ sun: [{ start: "00:00", end: "24:00" }] }));
    const days = ["2026-03-29", "2026-10-25", "2026-11-01"];
    expect([...availableMinutesByDay([{ schedule: allSunday, timeZone: BERLIN }], days).values()]).toEqual([1380, 1500, 1440]);
  });

  it("lets a date override replace the template (a day off, shorter hours) and sums the doctors", () => {
    const a = schedule(week({ mon: [{ start: "09:00", end: "12:00" }, { start: "13:00", end: "17:00" }] }), [
      { date: "2026-04-13", intervals: [] },
      { date: "2026-04-20", intervals: [{ start: "09:00", end: "10:30" }] },
    ]);
    const b = schedule(week({ mon: [{ start: "08:00", end: "09:00" }] }));
    const minutes = availableMinutesByDay(
      [
        { schedule: a, timeZone: BERLIN },
        { schedule: b, timeZone: "Europe/London" },
      ],
      ["2026-04-06", "2026-04-13", "2026-04-20", "2026-04-21"],
    );
    expect(Object.fromEntries(minutes)).toEqual({ "2026-04-06": 480, "2026-04-13": 60, "2026-04-20": 150, "2026-04-21": 0 });
  });
});

describe("summarise", () => {
  it("sums days into utilisation, the exact median, SLA met % and notifications by channel", () => {
    const s = summarise(
      [
        row("2026-04-06", { bookings: 2, bookedMinutes: 60, leadTimes: [100, 400], screeningSlaMet: 2, screeningDecisions: 3, emailDelivered: 4, smsFailed: 1 }),
        row("2026-04-07", { bookings: 1, bookedMinutes: 40, leadTimes: [200], screeningEscalations: 1, emailFailed: 2, pushDelivered: 1 }),
      ],
      300,
    );
    expect(s).toMatchObject({
      bookings: 3,
      bookedMinutes: 100,
      availableMinutes: 300,
      utilisationPercent: 33.3,
      leadTime: { medianMinutes: 200, samples: 3 },
      prescreening: { decisions: 3, slaMet: 2, escalations: 1, slaMetPercent: 66.7 },
      notifications: { email: { delivered: 4, failed: 2 }, sms: { delivered: 0, failed: 1 }, push: { delivered: 1, failed: 0 } },
    });
  });

  it("answers null, not 0 or NaN, where there is nothing to divide by", () => {
    const s = summarise([], 0);
    expect(s.utilisationPercent).toBeNull();
    expect(s.leadTime.medianMinutes).toBeNull();
    expect(s.prescreening.slaMetPercent).toBeNull();
  });
});
