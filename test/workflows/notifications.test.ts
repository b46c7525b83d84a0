/**
 * Notifications end to end on the local runtime: a committed change → the table's stream →
 * the publisher → the bus → the notification consumer → the patient's channels, which write
 * to the local outbox (`GET /local/outbox`). On the controllable clock, so quiet hours and
 * retries are reached by moving time.
 */
import ICAL from "ical.js";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { api } from "../integration/harness";
import { testDb } from "../integration/harness";
import { admin, advance, advanceTo, call, clockNow, eventually, freeSlot, bookAt, MINUTE, nurse, patient, weekdayFrom, type Person } from "./harness";

const GENERAL = "general-consultation";

interface OutboxMessage {
  messageId: string;
  channel: string;
  recipientId: string;
  to: string;
  subject: string;
  text: string;
  sentAt: string;
  attachments?: Array<{ filename: string; contentType: string; content: string }>;
}

async function outboxOf(person: Person, kind?: string): Promise<OutboxMessage[]> {
  const res = await api("GET", `/local/outbox?recipient=${encodeURIComponent(person.sub)}`);
  expect(res.status).toBe(200);
  return (res.body.messages as OutboxMessage[]).filter((m) => !kind || m.messageId.endsWith(`:${kind}`));
}

async function book(person: Person, date: string, hhmm: string) {
  const slot = await freeSlot(person, GENERAL, date, hhmm);
  expect(slot, `a free ${hhmm} slot on ${date}`).toBeDefined();
  const res = await bookAt(person, GENERAL, slot!.start);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; start: string; end: string; version: number };
}

async function setPreferences(person: Person, preferences: Record<string, unknown>) {
  const res = await call(person, "PUT", "/api/me/notification-preferences", preferences);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function deliveryLog(person: Person) {
  const res = await call(person, "GET", "/api/me/notifications");
  expect(res.status).toBe(200);
  return res.body.items as Array<{ messageId: string; kind: string; status: string; channel: string; log: Array<{ status: string; channel?: string }> }>;
}

const PHONE = "+447700900123";

describe("notifications", () => {
  it("booking puts a confirmation with a valid calendar invitation in the patient's e-mail", async () => {
    const p = await patient("Ics Patient");
    const booked = await book(p, weekdayFrom(await clockNow(), 9), "11:00");
    const [mail] = await eventually(() => outboxOf(p, "confirmation"), (m) => expect(m).toHaveLength(1));
    expect(mail!.channel).toBe("email");
    expect(mail!.to).toMatch(/@/);
    expect(mail!.subject).toMatch(/confirm/i);
    const ics = mail!.attachments?.find((a) => a.contentType.startsWith("text/calendar"));
    expect(ics?.contentType).toContain("method=REQUEST");

    const calendar = new ICAL.Component(ICAL.parse(ics!.content));
    expect(calendar.getFirstPropertyValue("method")).toBe("REQUEST");
    const event = new ICAL.Event(calendar.getFirstSubcomponent("vevent")!);
    expect(event.uid).toBe(`${booked.id}@carebook`);
    expect(event.startDate.toJSDate().toISOString()).toBe(new Date(booked.start).toISOString());
    expect(event.endDate.toJSDate().toISOString()).toBe(new Date(booked.end).toISOString());
    expect(event.summary).toContain("General consultation");

    // Cancelling sends a CANCEL for the same calendar entry, with a higher sequence.
    expect((await call(p, "POST", `/api/appointments/${booked.id}/cancel`, { reason: "changed plans" })).status).toBe(200);
    const [cancel] = await eventually(() => outboxOf(p, "cancelled"), (m) => expect(m).toHaveLength(1));
    const cancelled = new ICAL.Component(ICAL.parse(cancel!.attachments!.find((a) => a.contentType.startsWith("text/calendar"))!.content));
    expect(cancelled.getFirstPropertyValue("method")).toBe("CANCEL");
    const cancelledEvent = new ICAL.Event(cancelled.getFirstSubcomponent("vevent")!);
    expect(cancelledEvent.uid).toBe(event.uid);
    expect(cancelledEvent.sequence).toBeGreaterThan(event.sequence);
  });

  it("preferences: defaults, validation, round trip; patients only", async () => {
    const p = await patient("Prefs Patient");
    const initial = await call(p, "GET", "/api/me/notification-preferences");
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ isDefault: true, preferences: { channels: ["email"], language: "en" } });

    for (const bad of [
      { ...initial.body.preferences, channels: [] },
      { ...initial.body.preferences, channels: ["email", "email"] },
      { ...initial.body.preferences, timeZone: "Mars/Olympus" },
      { ...initial.body.preferences, quietHours: { start: "25:00", end: "07:00" } },
      { ...initial.body.preferences, language: "xx" },
      { ...initial.body.preferences, extra: true },
    ]) {
      const res = await call(p, "PUT", "/api/me/notification-preferences", bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    const wanted = { channels: ["sms", "email"], language: "de", quietHours: { start: "22:00", end: "07:00" }, timeZone: "Europe/Berlin", contacts: { phone: PHONE } };
    await setPreferences(p, wanted);
    const after = await call(p, "GET", "/api/me/notification-preferences");
    expect(after.body).toMatchObject({ isDefault: false, preferences: wanted });
    expect((await call(nurse, "GET", "/api/me/notification-preferences")).status).toBe(403);
  });

  it("a channel that fails for good falls back to the next one; the delivery log says so", async () => {
    const p = await patient("Fallback Patient");
    await setPreferences(p, { channels: ["sms", "email"], language: "en", quietHours: null, timeZone: "Europe/London", contacts: { phone: PHONE } });
    expect((await api("POST", "/local/outbox/faults", { body: { channel: "sms", permanent: true, times: 1 } })).status).toBe(200);
    try {
      await book(p, weekdayFrom(await clockNow(), 9), "14:00");
      const [mail] = await eventually(() => outboxOf(p, "confirmation"), (m) => expect(m).toHaveLength(1));
      expect(mail!.channel).toBe("email");
      const [entry] = (await deliveryLog(p)).filter((m) => m.kind === "confirmation");
      expect(entry!.status).toBe("delivered");
      expect(entry!.channel).toBe("email");
      expect(entry!.log.map((l) => [l.status, l.channel ?? null])).toEqual([
        ["queued", null],
        ["failed", "sms"],
        ["delivered", "email"],
      ]);
    } finally {
      await api("POST", "/local/outbox/faults", { body: { clear: true } });
    }
  });

  it("an e-mail that bounces later falls back to the next channel; a delivery report marks it delivered", async () => {
    const p = await patient("Bounce Patient");
    await setPreferences(p, { channels: ["email", "sms"], language: "en", quietHours: null, timeZone: "Europe/London", contacts: { phone: PHONE } });
    await book(p, weekdayFrom(await clockNow(), 10), "14:00");
    const [mail] = await eventually(() => outboxOf(p, "confirmation"), (m) => expect(m).toHaveLength(1));
    expect(mail!.channel).toBe("email");

    // SES reports a hard bounce (locally: the same event on the local default bus).
    const bounce = await api("POST", "/local/outbox/feedback", { body: { messageId: mail!.messageId, outcome: "bounced" } });
    expect(bounce.status).toBe(200);
    const [sms] = await eventually(() => outboxOf(p, "confirmation").then((m) => m.filter((x) => x.channel === "sms")), (m) => expect(m).toHaveLength(1));
    expect(sms!.to).toBe(PHONE);
    const entry = (await deliveryLog(p)).find((m) => m.kind === "confirmation")!;
    expect(entry.log.map((l) => [l.status, l.channel ?? null])).toEqual([
      ["queued", null],
      ["delivered", "email"],
      ["bounced", "email"],
      ["delivered", "sms"],
    ]);
    // A late report about the e-mail changes nothing now.
    await api("POST", "/local/outbox/feedback", { body: { messageId: mail!.messageId, outcome: "delivered" } });
    expect((await deliveryLog(p)).find((m) => m.kind === "confirmation")!.log).toHaveLength(4);

    expect((await api("POST", "/local/outbox/feedback", { body: { messageId: mail!.messageId, outcome: "lost" } })).status).toBe(400);
  });

  it("a transient failure is retried later on the same channel", async () => {
    const p = await patient("Retry Patient");
    await setPreferences(p, { channels: ["sms", "email"], language: "en", quietHours: null, timeZone: "Europe/London", contacts: { phone: PHONE } });
    expect((await api("POST", "/local/outbox/faults", { body: { channel: "sms", permanent: false, times: 1 } })).status).toBe(200);
    try {
      await book(p, weekdayFrom(await clockNow(), 9), "15:00");
      await eventually(() => deliveryLog(p), (log) => expect(log.find((m) => m.kind === "confirmation")?.status).toBe("queued"));
      expect(await outboxOf(p)).toEqual([]);
      await advance(3 * MINUTE); // past the first retry delay; the dispatcher runs every minute
      const [sms] = await eventually(() => outboxOf(p, "confirmation"), (m) => expect(m).toHaveLength(1));
      expect(sms!.channel).toBe("sms");
      expect(sms!.to).toBe(PHONE);
      const entry = (await deliveryLog(p)).find((m) => m.kind === "confirmation")!;
      expect(entry.log.map((l) => l.status)).toEqual(["queued", "retrying", "delivered"]);
    } finally {
      await api("POST", "/local/outbox/faults", { body: { clear: true } });
    }
  });

  it("a reminder due in quiet hours waits for their end; urgent messages do not wait", async () => {
    const p = await patient("Quiet Patient");
    const date = weekdayFrom(await clockNow(), 6);
    const booked = await book(p, date, "10:00");
    const start = DateTime.fromISO(booked.start, { zone: "Europe/London" });
    // Quiet from 09:30 to 11:00 London time: the T-24 h reminder (10:00 the day before) falls in it.
    await setPreferences(p, { channels: ["email"], language: "en", quietHours: { start: "09:30", end: "11:00" }, timeZone: "Europe/London" });
    await eventually(() => outboxOf(p, "confirmation"), (m) => expect(m).toHaveLength(1));

    const dayBefore = start.minus({ days: 1 });
    await advanceTo(dayBefore.plus({ minutes: 5 }).toMillis());
    await eventually(() => deliveryLog(p), (log) => expect(log.find((m) => m.kind === "reminder")?.status).toBe("queued"));
    expect(await outboxOf(p, "reminder")).toEqual([]);

    const quietEnd = dayBefore.set({ hour: 11, minute: 0 }).toMillis();
    await advanceTo(quietEnd - 2 * MINUTE);
    expect(await outboxOf(p, "reminder")).toEqual([]);
    await advanceTo(quietEnd + MINUTE);
    const [reminder] = await eventually(() => outboxOf(p, "reminder"), (m) => expect(m).toHaveLength(1));
    expect(Date.parse(reminder!.sentAt)).toBeGreaterThanOrEqual(quietEnd);
    expect(Date.parse(reminder!.sentAt)).toBeLessThan(quietEnd + 2 * MINUTE);

    // A cancellation (urgent) inside quiet hours goes at once.
    await advanceTo(start.minus({ hours: 0.5 }).toMillis()); // 09:30, quiet again
    expect((await call(p, "POST", `/api/appointments/${booked.id}/cancel`, { reason: "ill" })).status).toBe(200);
    const [cancel] = await eventually(() => outboxOf(p, "cancelled"), (m) => expect(m).toHaveLength(1));
    expect(Date.parse(cancel!.sentAt)).toBeLessThan(start.toMillis());
  });

  it("an emergency notice reaches every patient booked that day on every channel, quiet hours or not, audited", async () => {
    const p = await patient("Emergency Patient");
    const date = weekdayFrom(await clockNow(), 12);
    const booked = await book(p, date, "14:00");
    // Quiet all day long, SMS first: an ordinary message would wait and use SMS alone.
    await setPreferences(p, { channels: ["sms", "email"], language: "en", quietHours: { start: "00:00", end: "23:59" }, timeZone: "Europe/London", contacts: { phone: PHONE } });
    const notice = { clinicId: "london-central", date, message: "The clinic is closed today: a burst pipe. We will call you to rebook." };

    for (const [who, body, status] of [
      [p, notice, 403],
      [nurse, notice, 403],
      [admin, { ...notice, date: "2026-02-30" }, 400],
      [admin, { ...notice, message: "" }, 400],
      // A clinic that is not the admin's (here: none at all) is refused before anything is looked up.
      [admin, { ...notice, clinicId: "nowhere" }, 403],
    ] as const) {
      const res = await call(who, "POST", "/api/admin/notifications/emergency", body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
    }

    const sent = await call(admin, "POST", "/api/admin/notifications/emergency", notice);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body.appointments).toBeGreaterThanOrEqual(1);
    const messages = await eventually(() => outboxOf(p), (m) => expect(m.filter((x) => x.messageId.includes(":emergency:"))).toHaveLength(2));
    const emergency = messages.filter((x) => x.messageId.includes(":emergency:"));
    expect(emergency.map((m) => m.channel).sort()).toEqual(["email", "sms"]);
    for (const m of emergency) expect(m.text).toContain("burst pipe");

    const { data: audit } = await testDb().auditEntry.query.bySubject({ subjectType: "appointment", subjectId: booked.id }).go();
    expect(audit.filter((a) => a.action === "notification.emergency")).toEqual([
      expect.objectContaining({ actorId: "demo-admin", details: { noticeId: sent.body.noticeId, message: notice.message } }),
    ]);

    // The same notice again reaches no one twice.
    const again = await call(admin, "POST", "/api/admin/notifications/emergency", notice);
    expect(again.status).toBe(202);
    await api("POST", "/local/streams/drain");
    expect((await outboxOf(p)).filter((x) => x.messageId.includes(":emergency:"))).toHaveLength(2);
  });
});
