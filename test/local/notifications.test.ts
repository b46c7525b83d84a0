/**
 * The notification store and dispatcher (packages/core/src/notifications/messages.ts) on a real
 * DynamoDB Local: one message per event however often it is delivered, the send lease, taking
 * over a send whose dispatcher died, channels without an address, every channel failing. The
 * senders are recording stand-ins for the channel adapters (tested on their own with
 * aws-sdk-client-mock in test/unit/channels.test.ts).
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Appointment } from "@carebook/core/entities/index";
import { EVENT_SOURCE, readBusEvent, toBusEntry, type ReceivedEvent } from "@carebook/core/events/bus";
import { buildEvent } from "@carebook/core/events/schemas";
import { DeliveryError, type OutgoingMessage } from "@carebook/core/notifications/delivery";
import { dispatch, dispatchDue, notifyForEvent, SEND_LEASE_MS, type Senders } from "@carebook/core/notifications/messages";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();

const NOW = Date.parse("2026-03-02T10:00:00Z");
async function world(preferences?: Record<string, unknown>) {
  const { db } = await local.freshTable("notifications");
  await db.region.put({ regionId: "r1", name: "West", awsRegion: "eu-west-1", defaultTimeZone: "Europe/London", retentionDays: 90, reminderOffsetsMinutes: [1440] }).go();
  await db.clinic
    .put({ clinicId: "c1", regionId: "r1", name: "Central", timeZone: "Europe/London", address: { line1: "1 High St", city: "London", postcode: "N1", country: "GB" }, active: true })
    .go();
  await db.appointmentType.put({ typeId: "t1", regionId: "r1", name: "General consultation", durationMinutes: 20 }).go();
  await db.patient
    .put({ patientId: "p1", regionId: "r1", name: "Pat", email: "pat@example.com", preferredLanguage: "en", createdAt: "2026-01-01T00:00:00Z", ...(preferences ? { notificationPreferences: preferences } : {}) })
    .go();
  const appointment: Appointment = {
    appointmentId: "a1",
    regionId: "r1",
    clinicId: "c1",
    typeId: "t1",
    patientId: "p1",
    doctorId: "d1",
    doctorName: "Dr Who",
    status: "booked",
    start: "2026-03-05T09:00:00Z",
    end: "2026-03-05T09:20:00Z",
    blockStart: "2026-03-05T09:00:00Z",
    blockEnd: "2026-03-05T09:20:00Z",
    timeZone: "Europe/London",
    assignment: { rule: "least-loaded", explanation: "test", candidates: 1 },
    version: 1,
    history: [],
    createdAt: "2026-03-01T00:00:00Z",
    updatedAt: "2026-03-01T00:00:00Z",
  };
  await db.appointment.put(appointment).go();
  return { db, appointment };
}

function booked(a: Appointment): ReceivedEvent {
  const item = buildEvent("AppointmentBooked", a, new Date(NOW).toISOString(), { patientId: a.patientId, start: a.start, end: a.end, typeId: a.typeId, doctorId: a.doctorId, version: a.version });
  const entry = toBusEntry(item, "bus");
  return readBusEvent({ version: "0", id: randomUUID(), "detail-type": entry.DetailType, source: EVENT_SOURCE, account: "1", time: "", region: "x", resources: [], detail: JSON.parse(entry.Detail) });
}

/** Senders that record what they were given and fail as told. */
function recordingSenders(fail: Partial<Record<"email" | "sms" | "push", (m: OutgoingMessage) => Error | undefined>> = {}) {
  const sent: OutgoingMessage[] = [];
  const sender = (channel: "email" | "sms" | "push") => ({
    async send(message: OutgoingMessage) {
      await new Promise((r) => setTimeout(r, 5));
      const error = fail[channel]?.(message);
      if (error) throw error;
      sent.push(message);
      return { providerMessageId: `${channel}-${sent.length}`, status: "delivered" as const };
    },
  });
  const senders: Senders = { email: sender("email"), sms: sender("sms"), push: sender("push") };
  return { senders, sent };
}

const prefs = (over: Record<string, unknown> = {}) => ({ channels: ["email"], language: "en", quietHours: null, timeZone: "Europe/London", ...over });

describe("notification messages", () => {
  it("creates and sends one message per event however often, and however concurrently, it arrives", async () => {
    const { db, appointment } = await world();
    const { senders, sent } = recordingSenders();
    const event = booked(appointment);
    const outcomes: string[] = [];
    const options = { senders, now: () => NOW, onOutcome: async (o: { outcome: string; channel: string }) => void outcomes.push(`${o.channel}:${o.outcome}`) };
    await Promise.all(Array.from({ length: 5 }, () => notifyForEvent(db, event, options)));
    await notifyForEvent(db, event, options);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ channel: "email", to: "pat@example.com", recipientId: "p1" });
    expect(sent[0]!.attachments?.[0]?.contentType).toContain("text/calendar");
    expect(outcomes).toEqual(["email:delivered"]);
    const { data } = await db.notification.query.byRecipient({ patientId: "p1" }).go();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ status: "delivered", channel: "email", messageId: `${event.eventId}:confirmation` });
    // Nothing left due.
    expect((await db.notificationDue.query.byRegion({ regionId: "r1" }).go()).data).toEqual([]);
  });

  it("never lets two dispatchers send the same message, and takes over a send whose dispatcher died", async () => {
    const { db, appointment } = await world();
    const { senders, sent } = recordingSenders();
    const [message] = await notifyForEvent(db, booked(appointment), { senders, now: () => NOW });
    expect(sent).toHaveLength(1);

    // Queued again (as after a transient failure), due now, claimed by eight dispatchers at once: one sends.
    await db.notification.patch({ messageId: message!.messageId }).set({ status: "queued", dueAt: new Date(NOW).toISOString(), version: 50 }).go();
    await db.notificationDue.put({ regionId: "r1", dueAt: new Date(NOW).toISOString(), messageId: message!.messageId }).go();
    const results = await Promise.all(Array.from({ length: 8 }, () => dispatch(db, message!.messageId, { senders, now: () => NOW + 1000 })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(sent).toHaveLength(2);

    // A dispatcher took the lease and died: nobody sends until the lease lapses, then one does.
    await db.notification.patch({ messageId: message!.messageId }).set({ status: "sending", leaseUntil: NOW + SEND_LEASE_MS, version: 60 }).go();
    await db.notificationDue.put({ regionId: "r1", dueAt: new Date(NOW + SEND_LEASE_MS).toISOString(), messageId: message!.messageId }).go();
    expect(await dispatchDue(db, "r1", { senders, now: () => NOW + 1000 })).toBe(0);
    expect(sent).toHaveLength(2);
    expect(await dispatchDue(db, "r1", { senders, now: () => NOW + SEND_LEASE_MS + 1 })).toBe(1);
    expect(sent).toHaveLength(3);
  });

  it("skips channels it has no address for, and fails when no channel works", async () => {
    // SMS first, but no phone: straight to push (no endpoint either), then e-mail, which fails for good.
    const { db, appointment } = await world(prefs({ channels: ["sms", "push", "email"] }));
    const { senders, sent } = recordingSenders({ email: () => new DeliveryError("rejected", { permanent: true, code: "MessageRejected" }) });
    const outcomes: string[] = [];
    const [message] = await notifyForEvent(db, booked(appointment), { senders, now: () => NOW, onOutcome: async (o) => void outcomes.push(`${o.channel}:${o.outcome}`) });
    expect(sent).toEqual([]);
    expect(message!.status).toBe("failed");
    expect(message!.log.map((l) => [l.status, l.channel ?? null])).toEqual([
      ["queued", null],
      ["skipped", "sms"],
      ["skipped", "push"],
      ["failed", "email"],
    ]);
    expect(outcomes).toEqual(["email:failed"]);
  });

  it("retries a transient failure with backoff until MAX_ATTEMPTS, then falls back", async () => {
    const { db, appointment } = await world(prefs({ channels: ["sms", "email"], contacts: { phone: "+447700900123" } }));
    const { senders, sent } = recordingSenders({ sms: () => new DeliveryError("throttled", { permanent: false, code: "Throttled" }) });
    let now = NOW;
    const [message] = await notifyForEvent(db, booked(appointment), { senders, now: () => now });
    expect(message!.status).toBe("queued");
    const delays: number[] = [];
    for (let round = 0; round < 10 && sent.length === 0; round++) {
      const current = (await db.notification.get({ messageId: message!.messageId }).go()).data!;
      delays.push(Date.parse(current.dueAt!) - now);
      now = Date.parse(current.dueAt!);
      await dispatchDue(db, "r1", { senders, now: () => now });
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(sent.map((m) => m.channel)).toEqual(["email"]);
    const final = (await db.notification.get({ messageId: message!.messageId }).go()).data!;
    expect(final.log.map((l) => l.status)).toEqual(["queued", "retrying", "retrying", "retrying", "retrying", "failed", "delivered"]);
  });
});
