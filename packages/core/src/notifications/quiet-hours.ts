/**
 * Quiet hours: non-urgent messages wait until the patient's quiet window ends. The window is
 * wall-clock time in the patient's zone, so its end is resolved with luxon on the actual date —
 * on a DST-change night the window is an hour shorter or longer in real time, as the patient
 * experiences it.
 */
import { DateTime } from "luxon";
import type { NotificationPreferences } from "./preferences";

type QuietPrefs = Pick<NotificationPreferences, "quietHours" | "timeZone">;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The end of the quiet window `nowMs` is in (epoch ms), or undefined when outside. */
export function quietUntil(nowMs: number, prefs: QuietPrefs): number | undefined {
  const q = prefs.quietHours;
  if (!q) return undefined;
  const local = DateTime.fromMillis(nowMs, { zone: prefs.timeZone });
  if (!local.isValid) throw new RangeError(`invalid time zone "${prefs.timeZone}"`);
  const now = local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  let endDay: DateTime;
  if (start < end) {
    if (now < start || now >= end) return undefined;
    endDay = local;
  } else {
    // Overnight: before midnight the window ends tomorrow, after midnight it ends today.
    if (now >= start) endDay = local.plus({ days: 1 });
    else if (now < end) endDay = local;
    else return undefined;
  }
  return windowEnd(endDay, end, nowMs);
}

const HOUR_MS = 3_600_000;

/** The first instant after `nowMs` at which the patient's clock shows `minutes` on `day`. */
function windowEnd(day: DateTime, minutes: number, nowMs: number): number {
  const hour = Math.floor(minutes / 60);
  const minute = minutes % 60;
  const wall = day.set({ hour, minute, second: 0, millisecond: 0 });
  if (wall.hour !== hour || wall.minute !== minute) return gapEnd(wall, hour, minute);
  // A wall time shown twice (DST fall-back): the next time the clock shows it is the one.
  const next = wall.getPossibleOffsets().map((d) => d.toMillis()).filter((ms) => ms > nowMs);
  return next.length ? Math.min(...next) : Math.max(wall.toMillis(), nowMs);
}

/**
 * The wall time is never shown (skipped by a DST jump; luxon moved it past the gap): the clock
 * passes it at the jump itself. Binary search for the first minute whose wall time is at or
 * after the wanted one; the span covers any offset change (±14 h).
 */
function gapEnd(shifted: DateTime, hour: number, minute: number): number {
  const wanted = Date.UTC(shifted.year, shifted.month - 1, shifted.day, hour, minute);
  const wallOf = (ms: number) => ms + DateTime.fromMillis(ms, { zone: shifted.zone }).offset * 60_000;
  let lo = wanted - 15 * HOUR_MS; // shows an earlier wall time
  let hi = shifted.toMillis(); // shows a later one
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (wallOf(mid) >= wanted) hi = mid;
    else lo = mid;
  }
  return hi;
}

export function inQuietHours(nowMs: number, prefs: QuietPrefs): boolean {
  const until = quietUntil(nowMs, prefs);
  return until !== undefined && until > nowMs;
}

/** When a message may go out (epoch ms): now if urgent, without quiet hours, or outside the
 * window; else the end of the current window. */
export function deliverAt(nowMs: number, prefs: QuietPrefs, urgent: boolean): number {
  if (urgent) return nowMs;
  // Usually one step. But a DST jump can skip the whole open stretch between two windows (quiet
  // 01:01–01:00 on the night clocks jump from 01:00 to 02:00): the window's end then falls inside
  // the next window, whose own end is the first moment outside.
  let at = nowMs;
  for (let step = 0; step < 3; step++) {
    const until = quietUntil(at, prefs);
    if (until === undefined || until <= at) return at;
    at = until;
  }
  return at;
}
