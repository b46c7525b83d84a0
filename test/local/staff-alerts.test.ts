/**
 * Staff alerts (packages/core/src/notifications/staff-alerts.ts) on a real DynamoDB Local, sent
 * through the local channel adapters into an outbox directory (what `GET /local/outbox` reads):
 * an escalated pre-screening e-mails the clinic's active nurses and admins once per event however
 * often it is delivered, tells nobody once the decision is no longer overdue, and goes through the
 * patients' dispatcher (retries) without counting in the patients' delivery metrics.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Appointment, Db } from "@carebook/core/entities/index";
import { EVENT_SOURCE, readBusEvent, toBusEntry, type ReceivedEvent } from "@carebook/core/events/bus";
import { buildEvent } from "@carebook/core/events/schemas";
import { dispatchDue, notifyForEvent, type DispatchOptions } from "@carebook/core/notifications/messages";
import { alertStaffForEvent } from "@carebook/core/notifications/staff-alerts";
import { createLocalChannels, readOutbox } from "../../functions/lib/channels/local";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const NOW = Date.parse("2026-03-04T14:01:00Z");
const SLA_DUE = "2026-03-04T14:00:00Z";
const DECIDE_BY = "2026-03-05T08:00:00Z";

async function world(prescreening: Record<string, unknown> = {}, status: Appointment["status"] = "pending") {
  const { db } = await local.freshTable("staffalerts");
  await db.region.put({ regionId: "r1", name: "West", awsRegion: "eu-west-1", defaultTimeZone: "Europe/London", retentionDays: 90, reminderOffsetsMinutes: [1440] }).go();
  for (const [clinicId, name] of [["c1", "Central"], ["c2", "North"]] as const) {
    await db.clinic.put({ clinicId, regionId: "r1", name, timeZone: "Europe/London", address: { line1: "1 High St", city: "London", postcode: "N1", country: "GB" }, active: true }).go();
  }
  await db.appointmentType.put({ typeId: "t1", regionId: "r1", name: "Travel vaccination", durationMinutes: 20 }).go();
  await db.patient.put({ patientId: "p1", regionId: "r1", name: "Patricia Private", email: "patricia@example.com", preferredLanguage: "en", createdAt: "2026-01-01T00:00:00Z" }).go();
  const staff = [
    { sub: "nurse-1", name: "Nora Nurse", roles: ["nurse"], clinicIds: ["c1"] },
    { sub: "admin-1", name: "Ada Admin", roles: ["admin"], clinicIds: ["c2", "c1"] },
    { sub: "nurse-2", name: "Ned North", roles: ["nurse"], clinicIds: ["c2"] },
    { sub: "nurse-3", name: "Gone Nurse", roles: ["nurse"], clinicIds: ["c1"], active: false },
    { sub: "doctor-1", name: "Dr Who", roles: ["doctor"], clinicIds: ["c1"], doctorId: "d1" },
    { sub: "support-1", name: "Sam Support", roles: ["support"], clinicIds: [] },
  ];
  for (const m of staff) await db.staffMember.put({ regionId: "r1", email: `${m.sub}@clinic.example`, active: true, ...m }).go();
  const appointment: Appointment = {
    appointmentId: "a1",
    regionId: "r1",
    clinicId: "c1",
    typeId: "t1",
    patientId: "p1",
    doctorId: "d1",
    doctorName: "Dr Who",
    status,
    start: "2026-03-05T09:00:00Z",
    end: "2026-03-05T09:20:00Z",
    blockStart: "2026-03-05T09:00:00Z",
    blockEnd: "2026-03-05T09:20:00Z",
    timeZone: "Europe/London",
    assignment: { rule: "least-loaded", explanation: "test", candidates: 1 },
    prescreening: {
      state: "awaiting-decision",
      answerBy: "2026-03-04T09:00:00Z",
      decideBy: DECIDE_BY,
      answers: { fever: "no" },
      submittedAt: "2026-03-04T10:00:00Z",
      slaDueAt: SLA_DUE,
      escalatedAt: new Date(NOW).toISOString(),
      ...prescreening,
    },
    version: 3,
    history: [],
    createdAt: "2026-03-01T00:00:00Z",
    updatedAt: "2026-03-01T00:00:00Z",
  };
  await db.appointment.put(appointment).go();
  return { db, appointment };
}

function escalated(a: Appointment): ReceivedEvent {
  const item = buildEvent("PreScreeningEscalated", a, new Date(NOW).toISOString(), { audience: ["nurse", "admin"], slaDueAt: SLA_DUE, decideBy: DECIDE_BY, start: a.start });
  const entry = toBusEntry(item, "bus");
  return readBusEvent({ version: "0", id: randomUUID(), "detail-type": entry.DetailType, source: EVENT_SOURCE, account: "1", time: "", region: "x", resources: [], detail: JSON.parse(entry.Detail) });
}

function outbox() {
  const dir = mkdtempSync(join(tmpdir(), "carebook-staff-alerts-"));
  dirs.push(dir);
  const channels = createLocalChannels({ dir, now: () => NOW });
  const outcomes: string[] = [];
  const options = (now = NOW): DispatchOptions => ({ senders: channels.adapters, now: () => now, onOutcome: async (o) => void outcomes.push(`${o.messageId}:${o.outcome}`) });
  return { dir, faults: channels.faults, options, outcomes, read: () => readOutbox(dir) };
}

async function staffMessages(db: Db) {
  const { data } = await db.notification.scan.go({ pages: "all" });
  return data;
}

describe("staff alerts", () => {
  it("e-mails each active nurse and admin of the clinic once, however often and concurrently the event arrives", async () => {
    const { db, appointment } = await world();
    const box = outbox();
    const event = escalated(appointment);
    await Promise.all(Array.from({ length: 4 }, () => alertStaffForEvent(db, event, box.options())));
    await alertStaffForEvent(db, event, box.options());

    const sent = await box.read();
    expect(sent.map((m) => [m.recipientId, m.channel, m.to]).sort()).toEqual([
      ["admin-1", "email", "admin-1@clinic.example"],
      ["nurse-1", "email", "nurse-1@clinic.example"],
    ]);
    const nurseMail = sent.find((m) => m.recipientId === "nurse-1")!;
    expect(nurseMail.messageId).toBe(`${event.eventId}:prescreening-escalated:nurse-1`);
    expect(nurseMail.subject).toBe("Pre-screening overdue: Travel vaccination, Thu 5 Mar, 09:00 GMT, Central");
    expect(nurseMail.text).toContain("Hello Nora Nurse,");
    expect(nurseMail.text).toContain("If nobody decides by Thursday, 5 March 2026, 08:00 GMT");
    expect(nurseMail.text).toContain("/staff/prescreening");
    // Nothing of the patient leaves the audited screens: no name, address, answers or doctor.
    const everything = JSON.stringify(sent);
    for (const secret of ["Patricia", "patricia@example.com", "fever", "Dr Who", "p1"]) expect(everything).not.toContain(secret);
    expect(nurseMail.attachments).toBeUndefined();

    const stored = await staffMessages(db);
    expect(stored).toHaveLength(2);
    for (const m of stored) expect(m).toMatchObject({ audience: "staff", status: "delivered", channel: "email", kind: "prescreening-escalated", clinicId: "c1" });
    // Staff alerts are not patient notifications: not in the delivery metrics, not on the patient's log.
    expect(box.outcomes).toEqual([]);
    expect((await db.notification.query.byRecipient({ patientId: "p1" }).go()).data).toEqual([]);
    // The patient consumer leaves the event alone.
    expect(await notifyForEvent(db, event, box.options())).toEqual([]);
    expect((await db.notificationDue.query.byRegion({ regionId: "r1" }).go()).data).toEqual([]);
  });

  it("tells nobody when the decision is no longer overdue by the time the event arrives", async () => {
    const cases: Array<[string, Record<string, unknown>, Appointment["status"]?]> = [
      ["decided", { state: "approved", decision: "approve", decidedAt: "2026-03-04T14:00:30Z" }],
      ["released", { state: "released", releasedReason: "prescreening-not-decided" }, "cancelled"],
      // call-patient after the escalation: a new SLA, not yet missed.
      ["given a new SLA", { slaDueAt: "2026-03-04T18:00:00Z", calledPatientAt: "2026-03-04T14:00:30Z" }],
    ];
    for (const [name, prescreening, status] of cases) {
      const { db, appointment } = await world(prescreening, status);
      const box = outbox();
      expect(await alertStaffForEvent(db, escalated(appointment), box.options()), name).toEqual([]);
      expect(await box.read(), name).toEqual([]);
      expect(await staffMessages(db), name).toEqual([]);
    }
  });

  it("retries a failed send through the dispatcher, still once per staff member", async () => {
    const { db, appointment } = await world();
    const box = outbox();
    // The first two sends fail (transient): both alerts wait for a retry a minute later.
    box.faults.fail("email", { permanent: false, times: 2 });
    const event = escalated(appointment);
    const planned = await alertStaffForEvent(db, event, box.options());
    expect(planned.map((m) => m.status)).toEqual(["queued", "queued"]);
    expect(await box.read()).toEqual([]);

    await alertStaffForEvent(db, event, box.options(NOW + 1000)); // re-delivered meanwhile: nothing new
    expect(await dispatchDue(db, "r1", box.options(NOW + 30_000))).toBe(0); // not due yet
    expect(await dispatchDue(db, "r1", box.options(NOW + 61_000))).toBe(2);
    expect((await box.read()).map((m) => m.recipientId).sort()).toEqual(["admin-1", "nurse-1"]);
    expect(await dispatchDue(db, "r1", box.options(NOW + 10 * 60_000))).toBe(0);
    expect(await box.read()).toHaveLength(2);
    const stored = await staffMessages(db);
    expect(stored.map((m) => m.log.map((l) => l.status))).toEqual([
      ["queued", "retrying", "delivered"],
      ["queued", "retrying", "delivered"],
    ]);
    expect(box.outcomes).toEqual([]);
  });
});
