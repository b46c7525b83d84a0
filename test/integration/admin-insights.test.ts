/**
 * The admin's view of a clinic-day, end to end on the shared runtime: bookings and a
 * cancellation flow through the table's stream and the bus into the metrics aggregates
 * (GET /api/admin/appointments/metrics) and into the audit hash chain
 * (GET /api/admin/appointments/audit, verifyChains).
 *
 * Amsterdam Zuid is this file's clinic (no other integration file books there), so its
 * aggregates and its audit chain hold only what this file did.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { linkHash } from "@carebook/core/audit/hash";
import { verifyChains } from "@carebook/core/audit/verify";
import { api, book, newPatient, signIn, slotAt, slots, testDb, weekdayAhead } from "./harness";

const CLINIC = "amsterdam-zuid";
const day = weekdayAhead(9, 5); // this file's own Friday
const TIMES = ["09:00", "10:20", "11:40", "13:00", "15:40"];
const MINUTE = 60_000;

type Patient = Awaited<ReturnType<typeof newPatient>>;
interface AuditItem {
  auditId: string;
  subjectType: string;
  subjectId: string;
  clinicId: string;
  action: string;
  actorId: string;
  actorRole: string;
  at: string;
  details: Record<string, unknown>;
  chain: { day: string; seq: number; hash: string } | null;
}

let admin: string;
const booked: Array<{ patient: Patient; id: string; start: string }> = [];
let cancelled: (typeof booked)[number];

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function drain() {
  expect((await api("POST", "/local/streams/drain")).status).toBe(204);
}

async function metrics(token = admin) {
  return api("GET", `/api/admin/appointments/metrics?${new URLSearchParams({ clinicId: CLINIC, from: day, to: day })}`, { token });
}

/** As the admin unless `token` says otherwise (null: anonymous). */
async function audit(query: Record<string, string>, token: string | null = admin) {
  return api("GET", `/api/admin/appointments/audit?${new URLSearchParams(query)}`, { token: token ?? undefined });
}

/** The audit entries of an appointment once all are chained (newest first). */
async function chainedEntriesOf(appointmentId: string, count: number): Promise<AuditItem[]> {
  const res = await eventually(
    () => audit({ appointmentId }),
    (r) => r.status === 200 && r.body.items.length === count && r.body.items.every((i: AuditItem) => i.chain !== null),
  );
  expect(res.status).toBe(200);
  expect(res.body.items).toHaveLength(count);
  return res.body.items;
}

beforeAll(async () => {
  admin = await signIn("admin@demo.carebook.test");
  for (const hhmm of TIMES) {
    const patient = await newPatient(`Insights ${hhmm}`);
    const slot = slotAt(await slots(patient.token, { clinicId: CLINIC, from: day, to: day }), day, hhmm);
    const res = await book(patient.token, slot.start, { clinicId: CLINIC });
    expect([res.status, res.body.status], JSON.stringify(res.body)).toEqual([201, "booked"]);
    booked.push({ patient, id: res.body.id, start: res.body.start });
  }
  cancelled = booked[1]!;
  const cancel = await api("POST", `/api/appointments/${cancelled.id}/cancel`, { token: cancelled.patient.token, body: { reason: "cannot make it" } });
  expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
  await drain();
});

describe("admin metrics of a clinic-day", () => {
  it("count exactly the bookings and the cancellation made, with utilisation, median lead time and e-mail deliveries", async () => {
    // Lead time = start − the booking request (the appointment's createdAt), whole minutes,
    // one sample per booking (a cancellation does not take it back).
    const leads: number[] = [];
    for (const b of booked) {
      const { data } = await testDb().appointment.get({ appointmentId: b.id }).go();
      leads.push(Math.floor((Date.parse(data!.start) - Date.parse(data!.createdAt)) / MINUTE));
    }
    const confirmations = await eventually(
      async () => {
        let n = 0;
        for (const b of booked) {
          const res = await api("GET", `/local/outbox?recipient=${encodeURIComponent(b.patient.sub)}`);
          n += (res.body.messages as Array<{ messageId: string }>).filter((m) => m.messageId.endsWith(":confirmation")).length;
        }
        return n;
      },
      (n) => n >= booked.length,
    );
    expect(confirmations).toBe(booked.length);

    const res = await eventually(metrics, (r) => r.status === 200 && r.body.totals.notifications.email.delivered >= booked.length + 1);
    expect(res.status).toBe(200);
    const { totals, days } = res.body;
    expect(totals).toMatchObject({ bookings: booked.length, cancellations: 1, holds: 0, holdsReleased: 0, reschedules: 0, noShows: 0, fulfilled: 0 });
    expect(totals.bookedMinutes).toBe((booked.length - 1) * 15);
    expect(totals.availableMinutes).toBeGreaterThan(0);
    expect(totals.utilisationPercent).toBeGreaterThan(0);
    expect(totals.utilisationPercent).toBe(Math.round((totals.bookedMinutes / totals.availableMinutes) * 1000) / 10);
    const sorted = [...leads].sort((a, b) => a - b);
    expect(sorted.length % 2).toBe(1); // an odd count: the median is the middle sample
    expect(new Set(leads).size).toBe(leads.length); // distinct, so a wrong pick shows
    expect(totals.leadTime).toEqual({ medianMinutes: sorted[(sorted.length - 1) / 2], samples: booked.length });
    // Every confirmation and the cancellation notice went out by e-mail (the default channel).
    expect(totals.notifications.email.delivered).toBeGreaterThanOrEqual(confirmations);
    expect(totals.notifications.email).toEqual({ delivered: booked.length + 1, failed: 0 });
    expect(days).toHaveLength(1);
    expect(days[0]).toEqual({ day, ...totals });
  });

  it("is for admins only", async () => {
    expect((await metrics(await signIn("nurse@demo.carebook.test"))).status).toBe(403);
    expect((await metrics(booked[0]!.patient.token)).status).toBe(403);
    expect((await api("GET", `/api/admin/appointments/metrics?clinicId=${CLINIC}&from=${day}&to=${day}`)).status).toBe(401);
  });
});

describe("admin audit trail", () => {
  it("by appointment: its entries newest first, each with its place in the hash chain", async () => {
    const items = await chainedEntriesOf(cancelled.id, 2);
    expect(items.map((i) => i.action)).toEqual(["appointment.cancelled", "appointment.booked"]);
    expect(items.every((i) => i.subjectId === cancelled.id && i.clinicId === CLINIC && i.actorId === cancelled.patient.sub)).toBe(true);
    expect(items[0]!.at > items[1]!.at).toBe(true);
    for (const i of items) {
      expect(i.chain!.day).toBe(i.at.slice(0, 10)); // one chain per clinic and UTC day of `at`
      expect(i.chain!.seq).toBeGreaterThanOrEqual(1);
      expect(i.chain!.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    if (items[0]!.chain!.day === items[1]!.chain!.day) expect(items[0]!.chain!.seq).toBeGreaterThan(items[1]!.chain!.seq);
  });

  it("pages with a small limit; the cursor leads on, and belongs to its query", async () => {
    const all = await chainedEntriesOf(cancelled.id, 2);
    const seen: AuditItem[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await audit({ appointmentId: cancelled.id, limit: "1", ...(cursor ? { cursor } : {}) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.items);
      cursor = res.body.cursor;
      expect(++pages).toBeLessThanOrEqual(3); // 2 entries: 2 pages, maybe a third, empty one
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual(all);

    const first = await audit({ appointmentId: cancelled.id, limit: "1" });
    expect(first.body.cursor).toEqual(expect.any(String));
    const foreign = await audit({ appointmentId: booked[0]!.id, limit: "1", cursor: first.body.cursor });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe("INVALID_CURSOR");
  });

  it("by actor: only what that patient did", async () => {
    const mine = await chainedEntriesOf(cancelled.id, 2);
    const res = await audit({ actor: cancelled.patient.sub });
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: AuditItem) => i.auditId)).toEqual(mine.map((i) => i.auditId));
    expect(res.body.items.every((i: AuditItem) => i.actorId === cancelled.patient.sub)).toBe(true);

    const other = await audit({ actor: booked[0]!.patient.sub });
    expect(other.body.items.map((i: AuditItem) => [i.action, i.subjectId])).toEqual([["appointment.booked", booked[0]!.id]]);
  });

  it("names the page's actors: a patient by their profile's name, the id still on each entry", async () => {
    const res = await audit({ appointmentId: cancelled.id });
    expect(res.status).toBe(200);
    expect(res.body.items.every((i: AuditItem) => i.actorId === cancelled.patient.sub)).toBe(true);
    // Only a name and the kind of record: no e-mail or anything else of the patient's.
    expect(res.body.actors).toEqual({ [cancelled.patient.sub]: { name: "Insights 10:20", role: "patient" } });
  });

  it("region-wide: an admin changes an appointment type, then finds those entries under clinicId=region, chained and named; a doctor cannot", async () => {
    const typeId = `insights-type-${Date.now().toString(36)}`;
    const before = new Date(Date.now() - 1000).toISOString(); // this test's entries only, give or take
    const created = await api("POST", "/api/admin/types", { token: admin, body: { typeId, name: "Insights check", durationMinutes: 20 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const renamed = await api("PUT", `/api/admin/types/${typeId}`, {
      token: admin,
      body: { name: "Insights check-up", expectedUpdatedAt: created.body.updatedAt },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    // Support looks a patient up meanwhile: audited on the region's chain too, but not for admins.
    const support = await signIn("support@demo.carebook.test");
    const searched = await api("GET", `/api/support/patients?email=${encodeURIComponent(cancelled.patient.email)}`, { token: support });
    expect(searched.status).toBe(200);

    const ofType = (items: AuditItem[]) => items.filter((i) => i.subjectId === typeId);
    const res = await eventually(
      () => audit({ clinicId: "region", from: before, limit: "200" }),
      (r) => r.status === 200 && ofType(r.body.items).length === 2 && ofType(r.body.items).every((i) => i.chain !== null),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const items = ofType(res.body.items);
    expect(items.map((i) => i.action)).toEqual(["appointmentType.updated", "appointmentType.created"]);
    for (const i of items) {
      expect(i).toMatchObject({ clinicId: "region", actorId: "demo-admin", actorRole: "admin" });
      expect(i.chain).toMatchObject({ day: i.at.slice(0, 10), seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    expect(items[0]!.chain!.day > items[1]!.chain!.day || items[0]!.chain!.seq > items[1]!.chain!.seq).toBe(true);
    expect(res.body.actors["demo-admin"]).toEqual({ name: "Ada Admin", role: "staff" });
    // Newest first; support's reads of patients (also on the region's chain) are not shown.
    const ats = (res.body.items as AuditItem[]).map((i) => i.at);
    expect(ats).toEqual([...ats].sort().reverse());
    expect((res.body.items as AuditItem[]).every((i) => ["appointmentType", "region", "staff"].includes(i.subjectType))).toBe(true);
    const supportsOwn = await audit({ actor: "demo-support", from: before });
    expect(supportsOwn.status).toBe(200);
    expect(supportsOwn.body.items).toEqual([]);
    const { data: written } = await testDb().auditEntry.query.byActor({ actorId: "demo-support" }).gte({ at: before }).go({ pages: "all" });
    expect(written.map((e) => [e.clinicId, e.action])).toContainEqual(["region", "patient.searched"]);

    // What the admin did, by actor, includes the region-wide changes too.
    const mine = await audit({ actor: "demo-admin", from: before, limit: "200" });
    expect(ofType(mine.body.items).map((i) => i.auditId)).toEqual(items.map((i) => i.auditId));

    const doctor = await signIn("doctor@demo.carebook.test");
    const refused = await audit({ clinicId: "region" }, doctor);
    expect(refused.status).toBe(403);
    expect(refused.body.items).toBeUndefined();
  });

  it("needs a filter, and an admin", async () => {
    const none = await audit({});
    expect(none.status).toBe(400);
    expect((await audit({ from: day })).status).toBe(400);
    expect((await audit({ appointmentId: cancelled.id }, await signIn("patient@demo.carebook.test"))).status).toBe(403);
    expect((await audit({ appointmentId: cancelled.id }, cancelled.patient.token)).status).toBe(403);
    expect((await audit({ appointmentId: cancelled.id }, await signIn("nurse@demo.carebook.test"))).status).toBe(403);
    expect((await audit({ appointmentId: cancelled.id }, null)).status).toBe(401);
  });

  it("an entry changed in the table after it was chained is reported by the verifier", async () => {
    const target = booked[3]!;
    const [entry] = await chainedEntriesOf(target.id, 1);
    const chainDay = entry!.chain!.day;
    const scope = { clinicIds: [CLINIC], from: chainDay, to: chainDay };
    const intact = await verifyChains(testDb(), scope);
    expect(intact.problems).toEqual([]);
    expect(intact.links).toBeGreaterThanOrEqual(booked.length + 1);

    const db = testDb();
    const key = { subjectType: "appointment", subjectId: target.id, at: entry!.at, auditId: entry!.auditId };
    const { data: stored } = await db.auditEntry.get(key).go();
    const original = stored!.details as Record<string, unknown>;
    expect(original).toEqual(entry!.details);
    try {
      await db.auditEntry.patch(key).set({ details: { ...original, doctorId: "someone-else" } }).go();
      const result = await verifyChains(db, scope);
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        expect.objectContaining({ kind: "entry-modified", clinicId: CLINIC, day: chainDay, auditId: entry!.auditId, seq: entry!.chain!.seq }),
      ]);
    } finally {
      await db.auditEntry.patch(key).set({ details: original }).go();
    }
    const restored = await verifyChains(db, scope);
    expect(restored).toMatchObject({ ok: true, problems: [], links: intact.links });
  });

  // Fails today: the verifier batch-gets the entries of a day's links with the duplicate key,
  // DynamoDB refuses the BatchGetItem ("Provided list of item keys contains duplicates"), and
  // verifyChains throws (audit:verify exits 2) instead of reporting its own "chained twice".
  it("an entry chained twice is reported as such, not a failure of the verifier", async () => {
    const target = booked[4]!;
    const [entry] = await chainedEntriesOf(target.id, 1);
    const { day: chainDay, seq } = entry!.chain!;
    const db = testDb();
    const chain = { clinicId: CLINIC, day: chainDay };
    const { data: head } = await db.auditChainHead.get(chain).go({ consistent: true });
    const { data: link } = await db.auditChainLink.get({ ...chain, seq }).go({ consistent: true });
    expect(head!.seq).toBeGreaterThanOrEqual(seq);

    // A second, well-formed link for the same entry at the end of the chain, the head moved on.
    const again = { ...link!, seq: head!.seq + 1, prevHash: head!.hash, chainedAt: new Date().toISOString() };
    again.hash = linkHash(again);
    try {
      await db.auditChainLink.create(again).go();
      await db.auditChainHead.patch(chain).set({ seq: again.seq, hash: again.hash }).go();
      const result = await verifyChains(db, { clinicIds: [CLINIC], from: chainDay, to: chainDay }).catch((error: Error) =>
        expect.fail(`verifyChains threw instead of reporting the problem: ${error.message}`),
      );
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([
        expect.objectContaining({ kind: "link-broken", clinicId: CLINIC, day: chainDay, seq: again.seq, auditId: entry!.auditId }),
      ]);
    } finally {
      await db.auditChainLink.delete({ ...chain, seq: again.seq }).go();
      await db.auditChainHead.patch(chain).set({ seq: head!.seq, hash: head!.hash }).go();
    }
    expect(await verifyChains(db, { clinicIds: [CLINIC], from: chainDay, to: chainDay })).toMatchObject({ ok: true, problems: [] });
  });
});
