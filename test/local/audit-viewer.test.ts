/**
 * The admin audit viewer's query and the leave list's pages, against a real DynamoDB Local:
 * the region-wide entries an admin may see (and the support reads they may not), the actors'
 * names read in batches, and the leave list's cursor pages with filters applied in DynamoDB.
 */
import { describe, expect, it } from "vitest";
import { auditItem, type Actor } from "@carebook/core/appointment/tx";
import { appendToChain } from "@carebook/core/audit/chain";
import { auditEntryItem, REGION_AUDIT_CLINIC_ID, type AuditSubject } from "@carebook/core/audit/entry";
import { queryAudit } from "@carebook/core/audit/query";
import { auditRead } from "@carebook/core/audit/reads";
import { createDb, type Db, type Leave } from "@carebook/core/entities/index";
import { listLeave } from "@carebook/core/staff/leave";
import { makeDocumentClient } from "../../packages/local/src/dynamo";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();

const admin: Actor = { id: "admin-1", role: "admin" };
const support: Actor = { id: "support-1", role: "support" };
const patient: Actor = { id: "patient-1", role: "patient" };
const DAY = "2026-04-02";
const at = (hhmm: string) => Date.parse(`${DAY}T${hhmm}:00.000Z`);

async function change(db: Db, subject: AuditSubject, action: string, actor: Actor, now: number) {
  const result = await db.service.transaction.write((tx) => [auditEntryItem(tx, subject, action, actor, now, { note: action })]).go();
  expect(result.canceled).toBe(false);
}

/** The region's catalog changes with support's reads (also on the region chain) between them,
 * and two clinics' appointment entries; all chained. */
async function regionFixture() {
  const { db } = await local.freshTable("viewer");
  const region = (type: string, id: string) => ({ type, id, clinicId: REGION_AUDIT_CLINIC_ID });
  const supportRead = (action: string, minute: string) =>
    auditRead(db, { clinicId: REGION_AUDIT_CLINIC_ID, subjectType: "patient-search", subjectId: "someone@example.test", action, actor: support, now: at(minute) });
  await change(db, region("appointmentType", "short-check"), "appointmentType.created", admin, at("08:00"));
  await supportRead("patient.searched", "08:10");
  await supportRead("patient.searched", "08:20");
  await change(db, region("region", "demo"), "region.updated", admin, at("09:00"));
  await supportRead("patient.searched", "09:10");
  await change(db, region("staff", "support-1"), "staff.created", admin, at("10:00"));
  await db.service.transaction.write((tx) => [auditItem(tx, { appointmentId: "a1", clinicId: "c1" }, "appointment.booked", patient, at("11:00"), {})]).go();
  await db.service.transaction.write((tx) => [auditItem(tx, { appointmentId: "a2", clinicId: "c2" }, "appointment.cancelled", admin, at("12:00"), {})]).go();
  const { data } = await db.auditEntry.scan.go({ pages: "all" });
  expect((await appendToChain(db, data)).failed).toEqual([]);
  return db;
}

describe("region-wide audit entries", () => {
  it("clinicId=region lists the catalog changes newest first with their chain places, never support's reads of patients", async () => {
    const db = await regionFixture();
    const page = await queryAudit(db, { clinicId: REGION_AUDIT_CLINIC_ID, withinClinics: ["c1"] });
    expect(page.items.map((i) => i.action)).toEqual(["staff.created", "region.updated", "appointmentType.created"]);
    expect(page.items.every((i) => i.clinicId === REGION_AUDIT_CLINIC_ID)).toBe(true);
    // One chain for the region's day, support's reads included: the catalog changes are 1, 4 and 6.
    expect(page.items.map((i) => i.chain)).toEqual([
      expect.objectContaining({ day: DAY, seq: 6 }),
      expect.objectContaining({ day: DAY, seq: 4 }),
      expect.objectContaining({ day: DAY, seq: 1 }),
    ]);
  });

  it("pages the region's entries a full page at a time although hidden entries lie between them", async () => {
    const db = await regionFixture();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await queryAudit(db, { clinicId: REGION_AUDIT_CLINIC_ID, withinClinics: ["c1"], limit: 1, cursor });
      seen.push(...page.items.map((i) => i.action));
      if (page.cursor) expect(page.items).toHaveLength(1);
      cursor = page.cursor;
      if (!cursor) break;
    }
    expect(cursor).toBeUndefined();
    expect(seen).toEqual(["staff.created", "region.updated", "appointmentType.created"]);
  });

  it("by actor: the actor's entries of the caller's clinics and the region's catalog, not another clinic's", async () => {
    const db = await regionFixture();
    const mine = await queryAudit(db, { actor: admin.id, withinClinics: ["c1"] });
    expect(mine.items.map((i) => i.action)).toEqual(["staff.created", "region.updated", "appointmentType.created"]);
    const everything = await queryAudit(db, { actor: admin.id, withinClinics: ["c1", "c2"] });
    expect(everything.items.map((i) => i.action)).toEqual(["appointment.cancelled", "staff.created", "region.updated", "appointmentType.created"]);
    expect((await queryAudit(db, { actor: support.id, withinClinics: ["c1", "c2"] })).items).toEqual([]);
    // A cursor stays bound to its filters.
    const first = await queryAudit(db, { clinicId: REGION_AUDIT_CLINIC_ID, withinClinics: ["c1"], limit: 1 });
    await expect(queryAudit(db, { clinicId: "c1", withinClinics: ["c1"], cursor: first.cursor })).rejects.toMatchObject({ code: "INVALID_CURSOR" });
  });
});

describe("actor names", () => {
  it("names the page's staff and patients from their records with one batch read per kind; system and unknown actors stay ids", async () => {
    const { table, db } = await local.freshTable("viewer");
    await db.staffMember.create({ sub: "admin-1", regionId: "demo", name: "Ada Admin", email: "ada@example.test", roles: ["admin"], clinicIds: ["c1"] }).go();
    await db.staffMember.create({ sub: "nurse-1", regionId: "demo", name: "Nora Nurse", email: "nora@example.test", roles: ["nurse"], clinicIds: ["c1"] }).go();
    await db.patient.create({ patientId: "patient-1", regionId: "demo", name: "Pat Patient", email: "pat@example.test", createdAt: new Date(at("07:00")).toISOString() }).go();
    const actors: Actor[] = [patient, admin, { id: "nurse-1", role: "nurse" }, admin, { id: "system:workflow", role: "system" }, { id: "gone-1", role: "doctor" }, patient];
    for (const [i, actor] of actors.entries()) {
      await db.service.transaction.write((tx) => [auditItem(tx, { appointmentId: "a1", clinicId: "c1" }, `step.${i}`, actor, at(`08:0${i}`), {})]).go();
    }

    // The same table through a client that counts the commands sent.
    const doc = makeDocumentClient(local.endpoint);
    const sent: string[] = [];
    doc.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: "initialize" });
    try {
      const page = await queryAudit(createDb(doc, table), { appointmentId: "a1", withinClinics: ["c1"] });
      expect(page.items).toHaveLength(actors.length);
      expect(page.actors).toEqual({
        "admin-1": { name: "Ada Admin", role: "staff" },
        "nurse-1": { name: "Nora Nurse", role: "staff" },
        "patient-1": { name: "Pat Patient", role: "patient" },
      });
      // The query, then chain marks, staff and patients in a batch each: no read per actor.
      expect(sent.filter((c) => c === "GetCommand" || c === "GetItemCommand")).toEqual([]);
      expect(sent.filter((c) => c === "BatchGetCommand" || c === "BatchGetItemCommand")).toHaveLength(3);
    } finally {
      doc.destroy();
    }
  });
});

describe("leave list pages", () => {
  const NOW = Date.parse("2026-03-02T12:00:00Z");
  let n = 0;
  const leave = (over: Partial<Leave> & { start: string; end: string }): Leave => ({
    leaveId: `leave-${String(++n).padStart(3, "0")}`,
    regionId: "demo",
    staffSub: "nurse-1",
    staffName: "Nora Nurse",
    role: "nurse",
    clinicIds: ["c1"],
    from: over.start.slice(0, 10),
    to: over.end.slice(0, 10),
    timeZone: "Europe/London",
    reason: "Holiday",
    status: "requested",
    requestedAt: "2026-02-01T09:00:00Z",
    ...over,
  });

  async function fixture() {
    const { db } = await local.freshTable("leave");
    const items = [
      leave({ start: "2026-01-05T00:00:00Z", end: "2026-01-10T00:00:00Z" }), // over before today
      leave({ start: "2026-02-27T00:00:00Z", end: "2026-03-03T00:00:00Z" }), // runs into today
      leave({ start: "2026-03-10T00:00:00Z", end: "2026-03-11T00:00:00Z", clinicIds: ["c2"], staffSub: "nurse-2" }),
      leave({ start: "2026-03-12T00:00:00Z", end: "2026-03-13T00:00:00Z", status: "rejected" }),
      leave({ start: "2026-03-14T00:00:00Z", end: "2026-03-15T00:00:00Z", clinicIds: ["c2"], staffSub: "nurse-2" }),
      leave({ start: "2026-03-16T00:00:00Z", end: "2026-03-17T00:00:00Z", clinicIds: ["c2", "c1"], staffSub: "nurse-3" }),
      leave({ start: "2026-03-18T00:00:00Z", end: "2026-03-19T00:00:00Z", status: "approved" }),
      leave({ start: "2026-03-20T00:00:00Z", end: "2026-03-21T00:00:00Z" }),
    ];
    for (const item of items) await db.leave.create(item).go();
    return { db, ids: items.map((l) => l.leaveId) };
  }

  async function allPages(db: Db, query: Omit<Parameters<typeof listLeave>[1], "cursor" | "now" | "regionId">) {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await listLeave(db, { regionId: "demo", now: NOW, ...query, cursor });
      pages.push(page.items.map((l) => l.id));
      cursor = page.cursor;
    } while (cursor && pages.length < 10);
    return pages;
  }

  it("pages a clinic's leave by start, full pages although other clinics' and past leave lie between", async () => {
    const { db, ids } = await fixture();
    const pages = await allPages(db, { clinicIds: ["c1"], limit: 2 });
    expect(pages.flat()).toEqual([ids[1], ids[3], ids[5], ids[6], ids[7]]);
    for (const page of pages.slice(0, -1)) expect(page).toHaveLength(2);
    expect((await allPages(db, { clinicIds: ["c1"], status: "requested", limit: 1 })).flat()).toEqual([ids[1], ids[5], ids[7]]);
    expect((await allPages(db, { clinicIds: ["c2"], from: "2026-03-15", limit: 1 })).flat()).toEqual([ids[4], ids[5]]);
    expect((await allPages(db, { staffSub: "nurse-1", limit: 3 })).flat()).toEqual([ids[1], ids[3], ids[6], ids[7]]);
    expect(await listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"] })).toMatchObject({ items: expect.any(Array), cursor: undefined });
  });

  it("refuses a cursor of other filters, another caller, another list, or none of ours (INVALID_CURSOR)", async () => {
    const { db } = await fixture();
    const first = await listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], limit: 1 });
    expect(first.cursor).toEqual(expect.any(String));
    const next = await listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], limit: 1, cursor: first.cursor });
    expect(next.items[0]!.start > first.items[0]!.start).toBe(true);
    const refused = { code: "INVALID_CURSOR" };
    await expect(listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], status: "approved", cursor: first.cursor })).rejects.toMatchObject(refused);
    await expect(listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c2"], cursor: first.cursor })).rejects.toMatchObject(refused);
    await expect(listLeave(db, { regionId: "demo", now: NOW, staffSub: "nurse-1", cursor: first.cursor })).rejects.toMatchObject(refused);
    await expect(listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], cursor: "not-a-cursor" })).rejects.toMatchObject(refused);
    const audit = await queryAudit(await regionFixture(), { clinicId: REGION_AUDIT_CLINIC_ID, limit: 1 });
    await expect(listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], cursor: audit.cursor })).rejects.toMatchObject(refused);
    // Our envelope around a key ElectroDB cannot use: still a 400, not a 500.
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(first.cursor!, "base64url").toString()), c: "garbage" })).toString("base64url");
    await expect(listLeave(db, { regionId: "demo", now: NOW, clinicIds: ["c1"], cursor: forged })).rejects.toMatchObject(refused);
  });

  it("a caller of no clinic sees no one's leave", async () => {
    const { db } = await fixture();
    expect(await listLeave(db, { regionId: "demo", now: NOW, clinicIds: [] })).toEqual({ items: [] });
  });
});
