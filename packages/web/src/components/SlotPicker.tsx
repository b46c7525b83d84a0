/**
 * A week of free slots of one type at one clinic, in the clinic's time zone (and saying so when
 * the browser's differs). Slots are plain buttons grouped per day: Tab / Shift+Tab and Enter
 * pick one by keyboard. While shown, the week's clinic-days are subscribed to: a slot taken or
 * freed elsewhere re-reads the week, and a chosen slot that was taken is dropped with a notice.
 */
import { useEffect, useState } from "react";
import type { ResponseOf } from "../api/client";
import { usePushes, useWatchedDays } from "../realtime";
import { useSession } from "../session";
import { addDays, browserTimeZone, dateIn, formatDay, formatTime, mondayOf, zoneName } from "../lib/time";
import { ErrorNotice, Loading, Notice, useLoad } from "./ui";

export type Slot = ResponseOf<"GET /api/appointments/available-slots">["slots"][number];

export function SlotPicker(props: {
  typeId: string;
  clinicId: string;
  /** The clinic's zone, known before the first search answers. */
  timeZone: string;
  selected: Slot | undefined;
  onSelect: (slot: Slot | undefined) => void;
  /** The week to show first (its Monday is used); default: this week at the clinic. */
  initialDate?: string;
}) {
  const { call } = useSession();
  const { typeId, clinicId, timeZone, selected, onSelect } = props;
  const today = dateIn(Date.now(), timeZone);
  const [monday, setMonday] = useState(() => mondayOf(props.initialDate ?? today));
  const [gone, setGone] = useState<string>();
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));

  const slots = useLoad(
    (signal) => call("GET /api/appointments/available-slots", { query: { typeId, clinicId, from: days[0]!, to: days[6]! }, signal }),
    [typeId, clinicId, monday],
  );

  useWatchedDays(clinicId, days);
  usePushes((push) => {
    if (push.type !== "slots" || push.clinicId !== clinicId || !days.includes(push.date)) return;
    void slots.reload().then(() => undefined);
  });

  // A chosen slot no longer offered (taken by someone else meanwhile) is dropped.
  const offered = slots.data?.slots;
  useEffect(() => {
    if (!selected || !offered || offered.some((s) => s.start === selected.start)) return;
    if (dateIn(selected.start, timeZone) < days[0]! || dateIn(selected.start, timeZone) > days[6]!) return;
    setGone(`The time you chose (${formatTime(selected.start, timeZone)}) was just taken. Please choose another.`);
    onSelect(undefined);
    // Only a new answer can take the chosen slot away.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [offered]);

  const browserZone = browserTimeZone();
  const byDay = new Map<string, Slot[]>(days.map((d) => [d, []]));
  for (const slot of offered ?? []) byDay.get(slot.localStart.slice(0, 10))?.push(slot);
  const zone = slots.data?.timeZone ?? timeZone;

  return (
    <section aria-labelledby="slot-week" className="slot-picker">
      <div className="week-nav">
        <button type="button" onClick={() => setMonday(addDays(monday, -7))} disabled={monday <= mondayOf(today)}>
          Previous week
        </button>
        <h2 id="slot-week">
          Week of {formatDay(monday)}
        </h2>
        <button type="button" onClick={() => setMonday(addDays(monday, 7))}>
          Next week
        </button>
      </div>
      <p className="muted">
        Times are shown in the clinic's time zone, {zone} ({zoneName(`${monday}T12:00:00Z`, zone)}).
        {browserZone !== zone ? <strong> Your device is set to {browserZone}: these are not your local times.</strong> : null}
      </p>
      <Notice kind="info">{gone}</Notice>
      <ErrorNotice error={slots.error} />
      {!slots.data && slots.loading ? <Loading what="free times" /> : null}
      {slots.data ? (
        <div className="days">
          {days.map((date) => {
            const daySlots = byDay.get(date) ?? [];
            return (
              <div className="day" key={date} role="group" aria-labelledby={`day-${date}`}>
                <h3 id={`day-${date}`}>{formatDay(date)}</h3>
                {daySlots.length === 0 ? (
                  <p className="muted">No free times</p>
                ) : (
                  <ul className="slots" data-date={date}>
                    {daySlots.map((slot) => {
                      const pressed = selected?.start === slot.start;
                      return (
                        <li key={slot.start}>
                          <button
                            type="button"
                            className="slot"
                            aria-pressed={pressed}
                            data-start={slot.start}
                            aria-label={`${formatTime(slot.start, zone)}, ${formatDay(date)}`}
                            onClick={() => {
                              setGone(undefined);
                              onSelect(pressed ? undefined : slot);
                            }}
                          >
                            {formatTime(slot.start, zone)}
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </div>
            );
          })}
        </div>
      ) : null}
    </section>
  );
}
