/**
 * The audit hash chain against a real DynamoDB Local: entries written by `auditItem` in a
 * transaction, chained from the table's real stream by the audit-chain consumer, verified;
 * then tampered with, one way at a time. Also: re-delivery, concurrent chainers, the admin
 * query's pages, and `npm run audit:verify` itself.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import { auditItem, type Actor } from "@carebook/core/appointment/tx";
import { appendToChain } from "@carebook/core/audit/chain";
import { queryAudit } from "@carebook/core/audit/query";
import { verifyChains, type ChainProblemKind } from "@carebook/core/audit/verify";
import { type AuditEntry, type Db } from "@carebook/core/entities/index";
import { ValidationError } from "@carebook/core/errors";
import { chainRecords, handler } from "../../functions/events/audit-chain";
import { logger } from "../../functions/lib/logger";
import { createLambdaContext } from "../../packages/local/src/http";
import { createStreamReader } from "../../packages/local/src/streams";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();

const freshDb = () => local.freshTable("audit");

const nurse: Actor = { id: "nurse-1", role: "nurse" };
const patient: Actor = { id: "patient-1", role: "patient" };
/** Long after every entry below: anything unchained is past the grace period. */
const LATER = Date.parse("2026-06-01T00:00:00Z");

/** Writes one audit entry the way the business transactions do. */
async function audit(db: Db, input: { clinicId: string; appointmentId: string; at: string; action?: string; actor?: Actor; details?: Record<string, unknown> }) {
  await db.service.transaction
    .write((tx) => [
      auditItem(tx, { appointmentId: input.appointmentId, clinicId: input.clinicId }, input.action ?? "appointment.booked", input.actor ?? patient, Date.parse(input.at), input.details ?? {}),
    ])
    .go();
}

/** Feeds everything in the table's stream (so far) to the chainer, as Lambda would. */
async function chainFromStream(table: string, db: Db): Promise<void> {
  const reader = createStreamReader({
    endpoint: local.endpoint,
    tableName: table,
    onRecords: async (records) => {
      const response = await chainRecords(db, records.map((r) => r.lambda));
      if (response.batchItemFailures.length) throw new Error(`chainer failed: ${JSON.stringify(response.batchItemFailures)}`);
    },
  });
  try {
    await reader.drain();
  } finally {
    await reader.stop();
  }
}

const entriesOf = async (db: Db, appointmentId: string) =>
  (await db.auditEntry.query.bySubject({ subjectType: "appointment", subjectId: appointmentId }).go({ pages: "all" })).data;

const linksOf = async (db: Db, clinicId: string, day: string) =>
  (await db.auditChainLink.query.byChain({ clinicId, day }).go({ pages: "all" })).data.sort((a, b) => a.seq - b.seq);

let sequence = 0;
/** A stream record as Lambda hands it over. */
const record = (eventName: "INSERT" | "MODIFY" | "REMOVE", item: Record<string, unknown>): DynamoDBRecord => ({
  eventName,
  eventSource: "aws:dynamodb",
  dynamodb: {
    SequenceNumber: String(++sequence),
    NewImage: eventName === "REMOVE" ? undefined : (marshall(item, { removeUndefinedValues: true }) as never),
    OldImage: eventName === "INSERT" ? undefined : (marshall(item, { removeUndefinedValues: true }) as never),
  },
});

const newEntry = (clinicId: string, at: string): AuditEntry => ({
  auditId: randomUUID(),
  subjectType: "appointment",
  subjectId: `${clinicId}-a`,
  clinicId,
  action: "appointment.booked",
  actorId: "p1",
  actorRole: "patient",
  at,
  details: {},
});

const kinds = (problems: Array<{ kind: ChainProblemKind }>) => [...new Set(problems.map((p) => p.kind))].sort();

/**
 * Two clinics × two days × three entries, chained from the stream. Appointment `${clinic}-${day}`
 * holds the three entries of that clinic-day.
 */
async function chainedFixture() {
  const { table, db } = await freshDb();
  for (const clinicId of ["c1", "c2"]) {
    for (const day of ["2026-03-01", "2026-03-02"]) {
      for (const [i, time] of ["08:00:00.000", "09:30:00.250", "17:45:10.000"].entries()) {
        await audit(db, {
          clinicId,
          appointmentId: `${clinicId}-${day}`,
          at: `${day}T${time}Z`,
          action: ["appointment.booked", "prescreening.viewed", "appointment.cancelled"][i],
          actor: i === 1 ? nurse : patient,
          details: { step: i, nested: { b: [1, "two", null], a: true } },
        });
      }
    }
  }
  await chainFromStream(table, db);
  return { table, db };
}

describe("audit chain", () => {
  it("chains the entries of two clinics over two days from the stream, and verifies them intact", async () => {
    const { db } = await chainedFixture();

    const links = await linksOf(db, "c1", "2026-03-01");
    expect(links.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(links[1]!.prevHash).toBe(links[0]!.hash);
    const entries = await entriesOf(db, "c1-2026-03-01");
    expect(links.map((l) => l.auditId)).toEqual(entries.sort((a, b) => (a.at < b.at ? -1 : 1)).map((e) => e.auditId));
    const { data: head } = await db.auditChainHead.get({ clinicId: "c1", day: "2026-03-01" }).go();
    expect(head).toMatchObject({ seq: 3, hash: links[2]!.hash });

    const result = await verifyChains(db, { now: LATER });
    expect(result).toMatchObject({ ok: true, chains: 4, links: 12, pending: 0, problems: [] });
    expect(await verifyChains(db, { clinicIds: ["c2"], from: "2026-03-02", to: "2026-03-02", now: LATER })).toMatchObject({ ok: true, chains: 1, links: 3 });
  });

  it("detects an entry modified after it was chained", async () => {
    const { db } = await chainedFixture();
    const [entry] = await entriesOf(db, "c1-2026-03-02");
    await db.auditEntry.patch(entry!).set({ details: { step: 0, nested: { a: false } } }).go();

    const result = await verifyChains(db, { now: LATER });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ kind: "entry-modified", clinicId: "c1", day: "2026-03-02", seq: 1, auditId: entry!.auditId }),
    ]);
  });

  it("detects a deleted entry", async () => {
    const { db } = await chainedFixture();
    const entries = await entriesOf(db, "c2-2026-03-01");
    const victim = entries.find((e) => e.action === "prescreening.viewed")!;
    await db.auditEntry.delete(victim).go();

    const result = await verifyChains(db, { now: LATER });
    expect(result.problems).toEqual([expect.objectContaining({ kind: "entry-missing", clinicId: "c2", day: "2026-03-01", seq: 2 })]);
  });

  it("detects a removed middle link, and a link altered in place", async () => {
    const { db } = await chainedFixture();
    await db.auditChainLink.delete({ clinicId: "c1", day: "2026-03-01", seq: 2 }).go();
    await db.auditChainLink.patch({ clinicId: "c2", day: "2026-03-02", seq: 3 }).set({ entryHash: "0".repeat(64) }).go();

    const result = await verifyChains(db, { now: LATER });
    const c1 = result.problems.filter((p) => p.clinicId === "c1");
    // The gap, and the still existing entry whose link is gone.
    expect(kinds(c1)).toEqual(["link-broken", "seq-gap"]);
    expect(c1.find((p) => p.kind === "seq-gap")).toMatchObject({ day: "2026-03-01", seq: 2 });
    const c2 = result.problems.filter((p) => p.clinicId === "c2");
    expect(kinds(c2)).toEqual(["entry-modified", "link-broken"]);
    expect(c2.every((p) => p.seq === 3)).toBe(true);
  });

  it("detects a truncated tail: the last link removed, with or without lowering the head", async () => {
    const { db } = await chainedFixture();
    // Last link removed, head left alone.
    await db.auditChainLink.delete({ clinicId: "c1", day: "2026-03-01", seq: 3 }).go();
    // Last link removed and the head lowered to the link before: the chain itself is consistent…
    const [, second] = await linksOf(db, "c2", "2026-03-01");
    await db.auditChainLink.delete({ clinicId: "c2", day: "2026-03-01", seq: 3 }).go();
    await db.auditChainHead.patch({ clinicId: "c2", day: "2026-03-01" }).set({ seq: 2, hash: second!.hash }).go();
    // Only the head lowered.
    const [first] = await linksOf(db, "c2", "2026-03-02");
    await db.auditChainHead.patch({ clinicId: "c2", day: "2026-03-02" }).set({ seq: 1, hash: first!.hash }).go();

    const result = await verifyChains(db, { now: LATER });
    const of = (clinicId: string, day: string) => result.problems.filter((p) => p.clinicId === clinicId && p.day === day);
    expect(kinds(of("c1", "2026-03-01"))).toContain("head-mismatch");
    expect(of("c1", "2026-03-01").find((p) => p.kind === "head-mismatch")!.message).toMatch(/tail truncated/);
    // …but the third entry still says it was chained as seq 3.
    expect(of("c2", "2026-03-01")).toEqual([expect.objectContaining({ kind: "link-broken", seq: 3 })]);
    expect(of("c2", "2026-03-02")).toEqual([expect.objectContaining({ kind: "head-mismatch" })]);
    expect(of("c1", "2026-03-02")).toEqual([]);
  });

  it("detects a whole clinic-day's chain removed, by its entries", async () => {
    const { db } = await chainedFixture();
    for (const link of await linksOf(db, "c1", "2026-03-02")) {
      await db.auditChainLink.delete(link).go();
      await db.auditChainMark.delete({ auditId: link.auditId }).go();
    }
    await db.auditChainHead.delete({ clinicId: "c1", day: "2026-03-02" }).go();
    await db.auditChainDay.delete({ day: "2026-03-02", clinicId: "c1" }).go();

    const result = await verifyChains(db, { now: LATER });
    expect(result.problems.map((p) => [p.clinicId, p.day, p.kind])).toEqual([
      ["c1", "2026-03-02", "unchained"],
      ["c1", "2026-03-02", "unchained"],
      ["c1", "2026-03-02", "unchained"],
    ]);
  });

  it("counts entries not chained yet as pending within the grace period, as unchained after it", async () => {
    const { db } = await freshDb();
    const at = "2026-04-10T12:00:00.000Z";
    await audit(db, { clinicId: "c9", appointmentId: "a9", at });

    const fresh = await verifyChains(db, { clinicIds: ["c9"], now: Date.parse(at) + 60_000 });
    expect(fresh).toMatchObject({ ok: true, pending: 1, problems: [] });
    const stale = await verifyChains(db, { clinicIds: ["c9"], now: Date.parse(at) + 16 * 60_000 });
    expect(stale.ok).toBe(false);
    expect(stale.problems).toEqual([expect.objectContaining({ kind: "unchained", clinicId: "c9", day: "2026-04-10" })]);
    // Without naming the clinic, a clinic that never had a chain is not known to the verifier.
    expect((await verifyChains(db, { now: LATER })).chains).toBe(0);
  });

  it("chains a re-delivered entry once", async () => {
    const { table, db } = await freshDb();
    for (let i = 0; i < 4; i++) await audit(db, { clinicId: "c1", appointmentId: "a1", at: `2026-03-05T10:0${i}:00.000Z` });
    await chainFromStream(table, db);
    const entries = await entriesOf(db, "a1");

    const again = await appendToChain(db, [...entries, entries[1]!]);
    expect(again).toMatchObject({ chained: 0, alreadyChained: 4, failed: [] });
    // A fresh entry among re-delivered ones is chained after them.
    await audit(db, { clinicId: "c1", appointmentId: "a1", at: "2026-03-05T11:00:00.000Z" });
    const all = await entriesOf(db, "a1");
    expect(await appendToChain(db, all)).toMatchObject({ chained: 1, alreadyChained: 4 });

    expect((await linksOf(db, "c1", "2026-03-05")).map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await verifyChains(db, { now: LATER })).toMatchObject({ ok: true, links: 5 });
  });

  it("never forks a chain when several chainers append to the same clinic-day at once", async () => {
    const { db } = await freshDb();
    const day = "2026-03-07";
    for (let i = 0; i < 60; i++) {
      const at = `${day}T${String(8 + Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00.000Z`;
      await audit(db, { clinicId: "busy", appointmentId: `a${i % 7}`, at, details: { i } });
    }
    const entries = (await db.auditEntry.query.byClinic({ clinicId: "busy" }).go({ pages: "all" })).data;
    expect(entries).toHaveLength(60);
    // Six chainers, each with its share plus some of its neighbour's (re-delivery overlap), at once.
    const shares = Array.from({ length: 6 }, (_, k) => [...entries.slice(k * 10, k * 10 + 10), ...entries.slice(((k + 1) % 6) * 10, ((k + 1) % 6) * 10 + 3)]);
    const results = await Promise.all(shares.map((share) => appendToChain(db, share)));

    expect(results.flatMap((r) => r.failed)).toEqual([]);
    expect(results.reduce((n, r) => n + r.chained, 0)).toBe(60);
    const links = await linksOf(db, "busy", day);
    expect(links.map((l) => l.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(new Set(links.map((l) => l.auditId)).size).toBe(60);
    expect(await verifyChains(db, { now: LATER })).toMatchObject({ ok: true, chains: 1, links: 60, problems: [] });
  });

  it("stream handler: chains inserted audit entries and ignores every other record", async () => {
    const { table, db } = await freshDb();
    const entry = newEntry("c1", "2026-03-09T10:00:00.000Z");
    const others = [
      record("INSERT", { __edb_e__: "domainEvent", eventId: "e1", clinicId: "c1", occurredAt: entry.at }),
      record("INSERT", { __edb_e__: "appointment", appointmentId: "a1", clinicId: "c1" }),
      record("MODIFY", { ...entry, __edb_e__: "auditEntry" }),
      record("REMOVE", { ...entry, __edb_e__: "auditEntry" }),
      record("INSERT", { ...entry, __edb_e__: "auditEntryX" }),
    ];

    process.env.TABLE_NAME = table;
    process.env.CAREBOOK_DYNAMODB_ENDPOINT = local.endpoint;
    const context = createLambdaContext("functions/events/audit-chain.handler", randomUUID(), 10_000);
    const errors = vi.spyOn(logger, "error").mockImplementation(() => {});
    try {
      expect(await handler({ Records: others }, context)).toEqual({ batchItemFailures: [] });
      // An audit entry changed or removed in place is worth an alarm.
      expect(errors.mock.calls.map(([message, extra]) => [message, (extra as { eventName: string }).eventName])).toEqual([
        ["audit entry changed in place", "MODIFY"],
        ["audit entry changed in place", "REMOVE"],
      ]);
    } finally {
      errors.mockRestore();
    }
    expect((await db.auditChainDay.query.byDay({}).go()).data).toEqual([]);

    await db.auditEntry.create(entry).go();
    const inserted = record("INSERT", { ...entry, __edb_e__: "auditEntry", __edb_v__: "1", pk: "x", sk: "y" });
    expect(await handler({ Records: [inserted, inserted] }, context)).toEqual({ batchItemFailures: [] });
    expect(await linksOf(db, "c1", "2026-03-09")).toEqual([expect.objectContaining({ seq: 1, auditId: entry.auditId })]);
    expect(await verifyChains(db, { now: LATER })).toMatchObject({ ok: true, links: 1 });
  });

  it("stream handler: reports the first record it could not chain, and refuses to extend an inconsistent chain", async () => {
    const { db } = await freshDb();
    const day = "2026-03-14";
    const first = newEntry("c1", `${day}T08:00:00.000Z`);
    await appendToChain(db, [first]);
    // Someone slipped a link in beyond the head.
    const [link] = await linksOf(db, "c1", day);
    await db.auditChainLink.create({ ...link!, seq: 2, auditId: "forged" }).go();

    const blocked = record("INSERT", { ...newEntry("c1", `${day}T09:00:00.000Z`), __edb_e__: "auditEntry" });
    const elsewhere = record("INSERT", { ...newEntry("c2", `${day}T09:00:00.000Z`), __edb_e__: "auditEntry" });
    const warnings = vi.spyOn(logger, "warn").mockImplementation(() => {});
    try {
      const response = await chainRecords(db, [elsewhere, blocked]);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: blocked.dynamodb!.SequenceNumber }] });
      expect(String(warnings.mock.calls[0]?.[1] && (warnings.mock.calls[0][1] as { error: string }).error)).toMatch(/c1\/2026-03-14 is inconsistent/);
    } finally {
      warnings.mockRestore();
    }
    expect(await linksOf(db, "c2", day)).toHaveLength(1);
    expect((await linksOf(db, "c1", day)).map((l) => l.auditId)).toEqual([first.auditId, "forged"]);
  });
});

describe("admin audit query", () => {
  it("pages by appointment newest first, by actor, and by clinic in a time range", async () => {
    const { table, db } = await freshDb();
    for (let i = 0; i < 5; i++) {
      await audit(db, { clinicId: "c1", appointmentId: "a1", at: `2026-03-10T0${i}:00:00.000Z`, action: `step.${i}`, actor: i % 2 ? nurse : patient });
    }
    await audit(db, { clinicId: "c2", appointmentId: "a2", at: "2026-03-10T02:30:00.000Z", actor: nurse });
    await audit(db, { clinicId: "c1", appointmentId: "a3", at: "2026-03-11T09:00:00.000Z", actor: nurse });
    await chainFromStream(table, db);

    // By appointment, two at a time, newest first, each with its chain place.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryAudit(db, { appointmentId: "a1", limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) {
        expect(item.chain).toMatchObject({ day: "2026-03-10", seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
        seen.push(item.action);
      }
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(["step.4", "step.3", "step.2", "step.1", "step.0"]);

    // By actor, across clinics and appointments.
    const byNurse = await queryAudit(db, { actor: nurse.id, limit: 50 });
    expect(byNurse.items.map((i) => [i.subjectId, i.at])).toEqual([
      ["a3", "2026-03-11T09:00:00.000Z"],
      ["a1", "2026-03-10T03:00:00.000Z"],
      ["a2", "2026-03-10T02:30:00.000Z"],
      ["a1", "2026-03-10T01:00:00.000Z"],
    ]);
    expect((await queryAudit(db, { actor: nurse.id, clinicId: "c2" })).items.map((i) => i.subjectId)).toEqual(["a2"]);

    // By clinic and time: `to` as a date covers the whole day; as an instant, up to and including it.
    const day = await queryAudit(db, { clinicId: "c1", from: "2026-03-10", to: "2026-03-10" });
    expect(day.items).toHaveLength(5);
    const window = await queryAudit(db, { clinicId: "c1", from: "2026-03-10T01:00:00Z", to: "2026-03-10T03:00:00Z" });
    expect(window.items.map((i) => i.action)).toEqual(["step.3", "step.2", "step.1"]);
    expect((await queryAudit(db, { clinicId: "c1", from: "2026-03-11" })).items.map((i) => i.subjectId)).toEqual(["a3"]);

    // A cursor is only good for the query it came from.
    const first = await queryAudit(db, { clinicId: "c1", limit: 1 });
    expect(first.cursor).toBeDefined();
    const next = await queryAudit(db, { clinicId: "c1", limit: 1, cursor: first.cursor });
    expect(next.items[0]!.at < first.items[0]!.at).toBe(true);
    await expect(queryAudit(db, { clinicId: "c2", limit: 1, cursor: first.cursor })).rejects.toMatchObject({ code: "INVALID_CURSOR" });
    await expect(queryAudit(db, { clinicId: "c1", cursor: "not-a-cursor" })).rejects.toBeInstanceOf(ValidationError);
    await expect(queryAudit(db, {})).rejects.toMatchObject({ code: "AUDIT_FILTER_REQUIRED" });
  });

  it("shows an entry not chained yet with chain null", async () => {
    const { db } = await freshDb();
    await audit(db, { clinicId: "c1", appointmentId: "a1", at: "2026-03-12T08:00:00.000Z" });
    const page = await queryAudit(db, { appointmentId: "a1" });
    expect(page.items).toEqual([expect.objectContaining({ action: "appointment.booked", chain: null })]);
  });
});

describe("npm run audit:verify", () => {
  const root = resolve(import.meta.dirname, "../..");
  const run = (env: Record<string, string>, args: string[] = []) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "scripts/audit-verify.ts", ...args],
        { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("exits 0 on intact chains and 1 with each problem listed after tampering", async () => {
    const { table, db } = await chainedFixture();
    const env = { TABLE_NAME: table, CAREBOOK_DYNAMODB_ENDPOINT: local.endpoint };
    const intact = await run(env);
    expect(intact.stderr).toBe("");
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/4 clinic-day\(s\), 12 link\(s\)/);

    const [entry] = await entriesOf(db, "c2-2026-03-01");
    await db.auditEntry.patch(entry!).set({ action: "appointment.nothing-happened" }).go();
    const tampered = await run(env, ["--clinic", "c2", "--from", "2026-03-01", "--to", "2026-03-01"]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/1 problem\(s\)/);
    expect(tampered.stdout).toMatch(/entry-modified\s+c2 2026-03-01 seq 1/);
  });

  it("finds the running local runtime through its runtime.json", async () => {
    const { table } = await chainedFixture();
    const dataDir = mkdtempSync(join(tmpdir(), "carebook-audit-"));
    try {
      const runtimeFile = join(dataDir, "runtime.json");
      const unset = { TABLE_NAME: "", CAREBOOK_DYNAMODB_ENDPOINT: "", CAREBOOK_DATA_DIR: dataDir };
      writeFileSync(runtimeFile, JSON.stringify({ url: "http://127.0.0.1:1", dynamoEndpoint: local.endpoint, tableName: table, pid: process.pid }));
      const found = await run(unset);
      expect(found.code).toBe(0);
      expect(found.stdout).toContain(`Table ${table} — local runtime`);
      // A runtime that has stopped without cleaning up after itself.
      writeFileSync(runtimeFile, JSON.stringify({ dynamoEndpoint: local.endpoint, tableName: table, pid: 2 ** 22 + 12345 }));
      const stale = await run(unset);
      expect(stale.code).toBe(2);
      expect(stale.stderr).toMatch(/no longer running/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("explains what is missing when it has no table to verify", async () => {
    const missing = await run({ TABLE_NAME: "", CAREBOOK_DYNAMODB_ENDPOINT: "", CAREBOOK_DATA_DIR: resolve(root, "node_modules/.no-such-dir") });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/runtime\.json is missing/);
    expect(missing.stderr).toMatch(/npm start/);
  });
});
