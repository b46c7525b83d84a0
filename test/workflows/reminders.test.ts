/**
 * The reminders workflow end to end on the local runtime: a Wait state per reminder time in the
 * definition, woken by moving the runtime's clock; each wake-up re-reads the appointment.
 */
import { describe, expect, it } from "vitest";
import { testDb } from "../integration/harness";
import {
  advanceTo,
  appointment,
  bookAt,
  call,
  clockNow,
  eventually,
  executionsOf,
  freeSlot,
  HOUR,
  MINUTE,
  patient,
  weekdayFrom,
  type Person,
} from "./harness";

const GENERAL = "general-consultation";

async function book(person: Person, date: string, hhmm: string) {
  const slot = await freeSlot(person, GENERAL, date, hhmm);
  expect(slot, `a free ${hhmm} slot on ${date}`).toBeDefined();
  const res = await bookAt(person, GENERAL, slot!.start);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe("booked");
  return res.body as { id: string; start: string; version: number };
}

async function remindersOf(appointmentId: string) {
  const { data } = await testDb().domainEvent.query.byAppointment({ appointmentId }).go({ pages: "all" });
  return data.filter((e) => e.type === "ReminderDue");
}

/** The reminders run(s) of an appointment, once they wait in their Wait state. */
async function waiting(appointmentId: string, count = 1) {
  return eventually(
    () => executionsOf(appointmentId, "reminders"),
    (e) => {
      expect(e.filter((x) => x.currentStates.includes("WaitUntilDue"))).toHaveLength(count);
    },
  );
}

describe("reminders workflow", () => {
  it("records a reminder at T-24 h and at T-2 h, each once, and then ends", async () => {
    const p = await patient("Reminded Patient");
    const booked = await book(p, weekdayFrom(await clockNow(), 3), "10:00");
    const start = Date.parse(booked.start);
    await waiting(booked.id);

    await advanceTo(start - 24 * HOUR - MINUTE);
    expect(await remindersOf(booked.id)).toEqual([]);
    await advanceTo(start - 24 * HOUR + MINUTE);
    const first = await eventually(() => remindersOf(booked.id), (r) => expect(r).toHaveLength(1));
    expect(first[0]!.detail).toMatchObject({ kind: "1440m", dueAt: new Date(start - 24 * HOUR).toISOString().replace(".000", ""), version: booked.version });

    await advanceTo(start - 2 * HOUR + MINUTE);
    const both = await eventually(() => remindersOf(booked.id), (r) => expect(r).toHaveLength(2));
    expect(both.map((r) => (r.detail as { kind: string }).kind)).toEqual(["1440m", "120m"]);
    await eventually(() => executionsOf(booked.id, "reminders"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
  });

  it("sends nothing after a cancel", async () => {
    const p = await patient("Cancelled Patient");
    const booked = await book(p, weekdayFrom(await clockNow(), 3), "11:00");
    await waiting(booked.id);
    const cancelled = await call(p, "POST", `/api/appointments/${booked.id}/cancel`, {});
    expect(cancelled.status).toBe(200);

    await advanceTo(Date.parse(booked.start) - 2 * HOUR + MINUTE);
    // The run wakes twice, re-reads, finds the appointment cancelled, and ends without a reminder.
    await eventually(() => executionsOf(booked.id, "reminders"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
    expect(await remindersOf(booked.id)).toEqual([]);
  });

  it("after a reschedule only the new version's reminders go out, at the new times", async () => {
    const p = await patient("Rescheduled Patient");
    const date = weekdayFrom(await clockNow(), 3);
    const booked = await book(p, date, "12:00");
    await waiting(booked.id);
    const slot = await freeSlot(p, GENERAL, date, "13:00");
    const moved = await call(p, "POST", `/api/appointments/${booked.id}/reschedule`, { start: slot!.start });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.version).toBe(booked.version + 1);
    // Two runs now: the old version's and the new one's; no stop call was made.
    await waiting(booked.id, 2);

    const newStart = Date.parse(moved.body.start);
    await advanceTo(newStart - 24 * HOUR + MINUTE); // past the old T-24 h (an hour earlier) too
    const sent = await eventually(() => remindersOf(booked.id), (r) => expect(r).toHaveLength(1));
    expect(sent[0]!.detail).toMatchObject({ kind: "1440m", version: moved.body.version, start: moved.body.start });

    await advanceTo(newStart - 2 * HOUR + MINUTE);
    const all = await eventually(() => remindersOf(booked.id), (r) => expect(r).toHaveLength(2));
    expect(all.every((r) => (r.detail as { version: number }).version === moved.body.version)).toBe(true);
    await eventually(() => executionsOf(booked.id, "reminders"), (e) => expect(e.map((x) => x.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]));
  });

  it("skips a reminder time that has already passed at booking", async () => {
    const p = await patient("Late Booker");
    const date = weekdayFrom(await clockNow(), 2);
    await advanceTo(Date.parse(`${date}T00:00:00Z`)); // ten hours before a 10:00 London visit
    const booked = await book(p, date, "10:00");
    const [run] = await waiting(booked.id);
    expect(run).toBeDefined();

    await advanceTo(Date.parse(booked.start) - 2 * HOUR + MINUTE);
    const sent = await eventually(() => remindersOf(booked.id), (r) => expect(r).toHaveLength(1));
    expect((sent[0]!.detail as { kind: string }).kind).toBe("120m");
    await eventually(() => executionsOf(booked.id, "reminders"), (e) => expect(e[0]?.status).toBe("SUCCEEDED"));
    expect(await remindersOf(booked.id)).toHaveLength(1);
    expect((await appointment(p, booked.id)).status).toBe("booked");
  });
});
