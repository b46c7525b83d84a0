/**
 * Staff alerts end to end on the local runtime: the pre-screening workflow misses the nurse SLA
 * (the clock is moved) → `PreScreeningEscalated` in the outbox item → stream → publisher → bus →
 * the notification consumer → an e-mail to each nurse and admin of the clinic in the local outbox.
 */
import { describe, expect, it } from "vitest";
import { api, testDb } from "../integration/harness";
import { advance, bookAt, call, clockNow, eventually, executionsOf, freeSlot, HOUR, MINUTE, patient, weekdayFrom } from "./harness";

interface OutboxMessage {
  messageId: string;
  channel: string;
  recipientId: string;
  to: string;
  subject: string;
  text: string;
}

async function outboxOf(recipient: string, kind: string): Promise<OutboxMessage[]> {
  const res = await api("GET", `/local/outbox?recipient=${encodeURIComponent(recipient)}`);
  expect(res.status).toBe(200);
  return (res.body.messages as OutboxMessage[]).filter((m) => m.messageId.includes(`:${kind}`));
}

const answers = { vaccine: "influenza", fever: false, "previous-reaction": false, pregnant: "no", "blood-thinners": false };

describe("staff alerts", () => {
  it("an escalated pre-screening e-mails the clinic's nurses and admins once, and names no patient", async () => {
    const p = await patient("Escalated Alert");
    const date = weekdayFrom(await clockNow(), 3);
    const slot = await freeSlot(p, "vaccination", date, "15:00");
    expect(slot, `a free 15:00 vaccination slot on ${date}`).toBeDefined();
    const held = await bookAt(p, "vaccination", slot!.start);
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    const id = held.body.id as string;
    await eventually(() => call(p, "POST", `/api/appointments/${id}/prescreening`, { answers }), (r) => expect(r.status).toBe(200));
    await eventually(() => executionsOf(id, "prescreening"), (e) => expect(e[0]?.currentStates).toEqual(["AwaitDecision"]));

    // Alerts of earlier tests on the shared runtime, if any: after the SLA there is exactly one more.
    const before = (await outboxOf("demo-nurse", "prescreening-escalated")).length;

    await advance(4 * HOUR + MINUTE);
    const { data: events } = await eventually(
      () => testDb().domainEvent.query.byAppointment({ appointmentId: id }).go({ pages: "all" }),
      (r) => expect(r.data.map((e) => e.type)).toContain("PreScreeningEscalated"),
    );
    const eventId = events.find((e) => e.type === "PreScreeningEscalated")!.eventId;

    for (const [sub, email] of [["demo-nurse", "nurse@demo.carebook.test"], ["demo-admin", "admin@demo.carebook.test"]] as const) {
      const mine = await eventually(
        () => outboxOf(sub, "prescreening-escalated").then((m) => m.filter((x) => x.messageId.startsWith(eventId))),
        (m) => expect(m).toHaveLength(1),
      );
      expect(mine[0]).toMatchObject({ channel: "email", to: email, messageId: `${eventId}:prescreening-escalated:${sub}` });
      expect(mine[0]!.subject).toMatch(/^Pre-screening overdue: .+, .+, London Central$/);
      expect(mine[0]!.text).toContain("/staff/prescreening");
      expect(mine[0]!.text).not.toContain("Escalated Alert");
    }
    expect((await outboxOf("demo-nurse", "prescreening-escalated")).length).toBe(before + 1);
    // Neither the doctor nor support (not the event's audience), nor the patient, got one.
    for (const other of ["demo-support", p.sub]) {
      expect((await outboxOf(other, "prescreening-escalated")).filter((m) => m.messageId.startsWith(eventId))).toEqual([]);
    }
  });
});
