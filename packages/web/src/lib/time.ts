/**
 * Dates and times for display, always in an explicit IANA zone (the clinic's): the browser's
 * Intl does the zone arithmetic, no library needed. Calendar dates are "yyyy-mm-dd" strings.
 */

/** The calendar date of an instant in a zone. */
export function dateIn(instant: number | string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(
    typeof instant === "string" ? Date.parse(instant) : instant,
  );
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** "2027-03-29" + 3 → "2027-04-01" (calendar arithmetic; no zone involved). */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Monday of the week holding `date`. */
export function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** "Monday 29 March 2027" for a calendar date. */
export function formatDay(date: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(
    Date.parse(`${date}T00:00:00Z`),
  );
}

/** "09:30" in the zone. */
export function formatTime(instant: string, timeZone: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }).format(Date.parse(instant));
}

/** "Mon 29 Mar 2027, 09:30" in the zone. */
export function formatDateTime(instant: string, timeZone: string, locale?: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(Date.parse(instant));
}

/** The zone's short name at that instant, e.g. "GMT+1" or "CET". */
export function zoneName(instant: string | number, timeZone: string, locale?: string): string {
  const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts(
    typeof instant === "string" ? Date.parse(instant) : instant,
  );
  return parts.find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}
