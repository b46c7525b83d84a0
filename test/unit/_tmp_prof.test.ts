import { it } from "vitest";
import fc from "fast-check";
import { DateTime } from "luxon";
it("prof", () => {
  let t = performance.now();
  for (let i = 0; i < 2000; i++) DateTime.fromISO("2026-03-30T09:00", { zone: "Europe/London" }).getPossibleOffsets();
  console.log("fromISO+possible µs", ((performance.now() - t) / 2000) * 1000);
  t = performance.now();
  for (let i = 0; i < 2000; i++) DateTime.fromISO("2026-03-30", { zone: "utc" }).plus({ days: 1 }).toISODate();
  console.log("addDays µs", ((performance.now() - t) / 2000) * 1000);
});
