/**
 * Archival end to end on a real DynamoDB Local: a cancelled appointment gets its TTL from the
 * region's retention; the local TTL stand-in deletes it once expired; the stream consumers
 * hand its REMOVE — marked as TTL's — to the archiver (the real handler module), which writes
 * the JSON Lines file and the pointer; the admin lookup finds it there, and it is gone from the
 * table. Also: re-delivery writes nothing twice, other deletions are not archived, and what
 * DynamoDB Local's own TTL job deletes is archived too.
 *
 * Times are in the (wall-clock) future: DynamoDB Local runs a TTL job of its own on the wall
 * clock, which would otherwise race the stand-in for items expired in the past.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { DynamoDBRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getArchivedAppointmentForStaff } from "@carebook/core/archive/archive";
import { cancelAppointment, ownedBy } from "@carebook/core/appointment/booking";
import { releaseHold } from "@carebook/core/appointment/hold";
import type { Actor } from "@carebook/core/appointment/tx";
import { type Appointment, type Db } from "@carebook/core/entities/index";
import { NotFoundError } from "@carebook/core/errors";
import { archiveRecords } from "../../functions/events/archive";
import { streamConsumers } from "../../functions/events/index";
import { ARCHIVE_DIR_ENV, fileArchiveStore } from "../../functions/lib/archive-store";
import { logger } from "../../functions/lib/logger";
import { startStreamConsumers, type StreamConsumers } from "../../packages/local/src/events";
import { createStreamReader, type ChangeRecord } from "../../packages/local/src/streams";
import { createLocalTtl, type LocalTtl } from "../../packages/local/src/ttl";
import { useDynamoLocal } from "../support/dynamo-local";

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const REGION = "r-archive";
const RETENTION_DAYS = 30;
const patient: Actor = { id: "p-1", role: "patient" };
const admin: Actor = { id: "admin-1", role: "admin" };
const TTL_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" };

const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const epochSeconds = (ms: number) => Math.floor(ms / 1000);
/** When the appointments below are cancelled: now, on the 5-minute grid of claims. */
const NOW = Math.floor(Date.now() / (5 * MINUTE_MS)) * 5 * MINUTE_MS;
/** They start a week later and last a quarter of an hour. */
const START = NOW + 7 * DAY_MS;
const END = START + 15 * MINUTE_MS;
/** Their TTL: the end plus the region's retention. */
const EXPIRES_AT = epochSeconds(END) + RETENTION_DAYS * 86_400;
/** A day after that: what the stand-in's sweep takes as "now" to expire them. */
const AFTER_RETENTION = (EXPIRES_AT + 86_400) * 1000;

const local = useDynamoLocal();
const dir = mkdtempSync(join(tmpdir(), "carebook-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freshDb(): Promise<{ table: string; db: Db }> {
  const { table, db } = await local.freshTable("archive");
  await db.region
    .put({ regionId: REGION, name: "Archive", awsRegion: "eu-west-1", defaultTimeZone: "Europe/London", retentionDays: RETENTION_DAYS, reminderOffsetsMinutes: [1440] })
    .go();
  return { table, db };
}

/** A booked (or held) appointment, written as the booking transaction leaves it. */
async function appointment(db: Db, overrides: Partial<Appointment> = {}): Promise<Appointment> {
  const item: Appointment = {
    appointmentId: randomUUID(),
    regionId: REGION,
    clinicId: "clinic-1",
    typeId: "general",
    patientId: patient.id,
    doctorId: "d-1",
    doctorName: "Dr One",
    status: "booked",
    start: utc(START),
    end: utc(END),
    blockStart: utc(START),
    blockEnd: utc(END),
    timeZone: "Europe/London",
    assignment: { rule: "least-loaded", explanation: "Dr One has the fewest bookings", candidates: 1 },
    version: 1,
    history: [{ at: utc(NOW - DAY_MS), action: "booked", by: patient.id, status: "booked" }],
    createdAt: utc(NOW - DAY_MS),
    updatedAt: utc(NOW - DAY_MS),
    ...overrides,
  };
  await db.appointment.create(item).go();
  return item;
}

const cancel = (db: Db, a: Appointment, reason?: string) =>
  cancelAppointment(db, { guard: ownedBy(patient.id), actor: patient, appointmentId: a.appointmentId, reason, now: NOW });

/** The archive prefix of an appointment starting at `start`. */
const prefixOf = (clinicId: string, start: number) =>
  `${REGION}/${clinicId}/${new Date(start).getUTCFullYear()}/${String(new Date(start).getUTCMonth() + 1).padStart(2, "0")}/`;

/** Every archive file under `root`: relative path (the key) → its JSON Lines. */
function archiveFiles(root: string): Record<string, Array<Record<string, unknown>>> {
  const files: Record<string, Array<Record<string, unknown>>> = {};
  let entries;
  try {
    entries = readdirSync(root, { recursive: true, withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith(".jsonl")) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path).split("\\").join("/")] = readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  }
  return files;
}

/** The REMOVE records of a table's stream so far, as the local stream consumers hand them over. */
async function removeRecords(table: string, ttl: LocalTtl): Promise<DynamoDBRecord[]> {
  const removes: DynamoDBRecord[] = [];
  const reader = createStreamReader({
    endpoint: local.endpoint,
    tableName: table,
    onRecords: async (batch) => {
      for (const r of batch) {
        const record = ttl.lambdaRecord(r);
        if (record.eventName === "REMOVE") removes.push(record);
      }
    },
  });
  try {
    await reader.drain();
  } finally {
    await reader.stop();
  }
  return removes;
}

describe("the TTL of ended appointments", () => {
  it("is set when a patient cancels: the end plus the region's retention", async () => {
    const { db } = await freshDb();
    const a = await appointment(db);
    const { appointment: cancelled } = await cancel(db, a, "better");
    expect(cancelled.expiresAt).toBe(EXPIRES_AT);
    const { data } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
    expect(data).toMatchObject({ status: "cancelled", version: 2, expiresAt: EXPIRES_AT });
  });

  it("is set when a hold is released", async () => {
    const { db } = await freshDb();
    const a = await appointment(db, { status: "pending", holdExpiresAt: utc(NOW + 10 * MINUTE_MS) });
    const released = await releaseHold(db, { appointmentId: a.appointmentId, reason: "hold-expired", actor: patient, now: NOW });
    expect(released?.appointment.expiresAt).toBe(EXPIRES_AT);
    const { data } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
    expect(data).toMatchObject({ status: "cancelled", expiresAt: EXPIRES_AT });
  });

  it("is not set while an appointment is open", async () => {
    const { db } = await freshDb();
    const a = await appointment(db);
    const { data } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
    expect(data?.expiresAt).toBeUndefined();
  });
});

describe("archival through the local TTL stand-in and the stream consumers", () => {
  let table: string;
  let db: Db;
  let ttl: LocalTtl;
  let streams: StreamConsumers;
  const archiveDir = join(dir, "archive");
  const ttlDir = join(dir, "ttl");
  const lookup = (appointmentId: string) => getArchivedAppointmentForStaff(db, fileArchiveStore(archiveDir), { appointmentId, actor: admin, now: NOW, guard: (a) => a! });

  beforeAll(async () => {
    ({ table, db } = await freshDb());
    // What the local runtime gives the handlers; the archiver module is the real one.
    Object.assign(process.env, { TABLE_NAME: table, CAREBOOK_DYNAMODB_ENDPOINT: local.endpoint, [ARCHIVE_DIR_ENV]: archiveDir });
    ttl = createLocalTtl({ client: local.client, tableName: table, dataDir: ttlDir });
    streams = startStreamConsumers({
      consumers: [["archiver", streamConsumers.archiver]],
      endpoint: local.endpoint,
      tableName: table,
      loadHandler: async () => (await import("../../functions/events/archive")).handler,
      pollMs: 50,
      lambdaRecord: ttl.lambdaRecord,
    });
  });
  afterAll(async () => {
    await streams?.stop();
  });

  it("archives a cancelled appointment once its TTL passed: readable from the archive, gone from the table", async () => {
    const a = await appointment(db);
    const other = await appointment(db, { clinicId: "clinic-2", start: utc(START + 40 * DAY_MS), end: utc(END + 40 * DAY_MS), blockStart: utc(START + 40 * DAY_MS), blockEnd: utc(END + 40 * DAY_MS) });
    await cancel(db, a, "feeling better");
    await cancel(db, other);

    // Not yet expired: nothing happens.
    expect(await ttl.sweep(NOW + DAY_MS)).toBe(0);
    // Past the end plus the retention: both go, as DynamoDB's TTL would take them.
    expect(await ttl.sweep(AFTER_RETENTION + 40 * DAY_MS)).toBe(2);
    await streams.drain();

    const { data: gone } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
    expect(gone).toBeNull();

    const files = archiveFiles(archiveDir);
    const keyOf = (id: string) => Object.keys(files).find((k) => files[k]!.some((line) => line.appointmentId === id));
    expect(keyOf(a.appointmentId)).toMatch(new RegExp(`^${prefixOf("clinic-1", START)}\\d+\\.jsonl$`));
    expect(keyOf(other.appointmentId)).toMatch(new RegExp(`^${prefixOf("clinic-2", START + 40 * DAY_MS)}\\d+\\.jsonl$`));
    const line = files[keyOf(a.appointmentId)!]!.find((l) => l.appointmentId === a.appointmentId)!;
    expect(line).toMatchObject({ appointmentId: a.appointmentId, status: "cancelled", cancelReason: "feeling better", version: 2, start: a.start, expiresAt: EXPIRES_AT });
    expect(Object.keys(line).filter((k) => k.startsWith("__edb") || /^(pk|sk|gsi\dpk|gsi\dsk)$/.test(k))).toEqual([]);

    const { data: pointer } = await db.archivedAppointment.get({ appointmentId: a.appointmentId }).go();
    expect(pointer).toMatchObject({ appointmentId: a.appointmentId, regionId: REGION, clinicId: "clinic-1", key: keyOf(a.appointmentId) });

    const found = await lookup(a.appointmentId);
    expect(found.appointment).toEqual(line);
    expect(found.archive).toEqual({ key: keyOf(a.appointmentId), archivedAt: pointer!.archivedAt });
    // The read is audited, like every read of a patient's data by staff.
    const { data: audit } = await db.auditEntry.query.bySubject({ subjectType: "appointment", subjectId: a.appointmentId }).go();
    expect(audit.map((e) => [e.action, e.actorId])).toContainEqual(["appointment.archive-viewed", admin.id]);
  });

  it("does not archive appointments deleted otherwise, nor other items the TTL removed", async () => {
    const deleted = await appointment(db);
    await db.appointment.delete({ appointmentId: deleted.appointmentId }).go();
    const claim = { resource: "doctor#d-1", unit: utc(START) };
    await db.claim.put({ ...claim, appointmentId: deleted.appointmentId, expiresAt: epochSeconds(NOW) + 60 }).go();
    expect(await ttl.sweep(NOW + 2 * MINUTE_MS)).toBe(1);
    await streams.drain();

    const { data: claimLeft } = await db.claim.get(claim).go({ consistent: true });
    expect(claimLeft).toBeNull();
    const { data: pointer } = await db.archivedAppointment.get({ appointmentId: deleted.appointmentId }).go();
    expect(pointer).toBeNull();
    const lines = Object.values(archiveFiles(archiveDir)).flat();
    expect(lines.some((line) => line.appointmentId === deleted.appointmentId)).toBe(false);
    await expect(lookup(deleted.appointmentId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("leaves alone what expires later, and what expired more than five years ago (as AWS does)", async () => {
    const sweepAt = NOW + 10 * DAY_MS;
    const later = await appointment(db, { status: "cancelled", expiresAt: epochSeconds(sweepAt) + 3600 });
    const ancient = await appointment(db, { status: "cancelled", expiresAt: epochSeconds(sweepAt) - 6 * 365 * 86_400 });
    expect(await ttl.sweep(sweepAt)).toBe(0);
    for (const a of [later, ancient]) {
      const { data } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
      expect(data).not.toBeNull();
    }
  });

  it("archives what DynamoDB Local's own TTL job deletes, too", async () => {
    // Expired by the wall clock: DynamoDB Local's job may take it before the stand-in does.
    const a = await appointment(db, { status: "cancelled", expiresAt: epochSeconds(Date.now()) - 60 });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { data } = await db.appointment.get({ appointmentId: a.appointmentId }).go({ consistent: true });
      if (!data) break;
      if (Date.now() > deadline) {
        await ttl.sweep(); // whichever TTL deletes it, it is archived
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await streams.drain();
    await expect(lookup(a.appointmentId)).resolves.toMatchObject({ appointment: { appointmentId: a.appointmentId } });
  });

  it("still marks its deletions after a restart (kept data)", async () => {
    const a = await appointment(db, { status: "cancelled", expiresAt: epochSeconds(NOW) + 60 });
    expect(await ttl.sweep(NOW + 2 * MINUTE_MS)).toBe(1);
    const restarted = createLocalTtl({ client: local.client, tableName: table, dataDir: ttlDir });
    const records = (await removeRecords(table, restarted)).filter((r) => r.dynamodb?.Keys?.pk?.S === `$carebook#appointmentid_${a.appointmentId}`);
    expect(records).toHaveLength(1);
    expect(records[0]!.userIdentity).toEqual(TTL_IDENTITY);
    await streams.drain();
  });
});

describe("the records the stream consumers get", () => {
  const ttl = () => createLocalTtl({ client: local.client, tableName: "unused" });
  const image = { pk: { S: "$carebook#appointmentid_x" }, sk: { S: "$appointment_1" }, expiresAt: { N: "1800000000" } };
  const record = (eventName: string, images: { newImage?: boolean; oldImage?: boolean }): ChangeRecord => ({
    recordId: "r",
    eventName: eventName as ChangeRecord["eventName"],
    shardId: "s",
    sequenceNumber: "1",
    approximateCreationTime: undefined,
    keys: { pk: image.pk.S, sk: image.sk.S },
    newImage: images.newImage ? { pk: image.pk.S } : undefined,
    oldImage: images.oldImage ? { pk: image.pk.S, sk: image.sk.S, expiresAt: 1_800_000_000 } : undefined,
    lambda: {
      eventName: eventName as DynamoDBRecord["eventName"],
      eventSource: "aws:dynamodb",
      dynamodb: { Keys: { pk: image.pk, sk: image.sk }, ...(images.oldImage ? { OldImage: image } : {}), SequenceNumber: "1" },
    },
  });

  it("are DynamoDB Local's expiry records as AWS sends TTL deletions: REMOVE, by the DynamoDB service", () => {
    // DynamoDB Local's server sends its internal EXPIRE as the Java SDK's unknown-enum value.
    for (const name of ["UNKNOWN_TO_SDK_VERSION", "EXPIRE"]) {
      const out = ttl().lambdaRecord(record(name, { oldImage: true }));
      expect(out).toMatchObject({ eventName: "REMOVE", userIdentity: TTL_IDENTITY, dynamodb: { OldImage: image } });
      expect(streamConsumers.archiver.filters).toHaveLength(1);
    }
  });

  it("leave inserts, updates and anyone else's deletes as they were", () => {
    for (const r of [record("INSERT", { newImage: true }), record("MODIFY", { newImage: true, oldImage: true }), record("REMOVE", { oldImage: true })]) {
      expect(ttl().lambdaRecord(r)).toBe(r.lambda);
    }
  });
});

describe("re-delivery", () => {
  it("writes nothing twice: a repeated batch finds its pointers, a batch cut off before them overwrites its own object", async () => {
    const { table, db } = await freshDb();
    const archiveDir = join(dir, "redelivery");
    const store = fileArchiveStore(archiveDir);
    const ttl = createLocalTtl({ client: local.client, tableName: table });
    const [a, b] = [await appointment(db), await appointment(db)];
    for (const x of [a, b]) await cancel(db, x);
    expect(await ttl.sweep(AFTER_RETENTION)).toBe(2);
    const removes = await removeRecords(table, ttl);
    expect(removes.map((r) => r.userIdentity)).toEqual([TTL_IDENTITY, TTL_IDENTITY]);

    expect(await archiveRecords(db, store, removes)).toEqual({ batchItemFailures: [] });
    const first = archiveFiles(archiveDir);
    expect(Object.keys(first)).toHaveLength(1);
    // In stream order: the order the TTL deleted them.
    const removed = removes.map((r) => r.dynamodb!.OldImage!.appointmentId!.S);
    expect(removed.slice().sort()).toEqual([a.appointmentId, b.appointmentId].sort());
    expect(Object.values(first)[0]!.map((l) => l.appointmentId)).toEqual(removed);

    // The same batch again (Lambda retried it): both have their pointer — nothing written.
    expect(await archiveRecords(db, store, removes)).toEqual({ batchItemFailures: [] });
    expect(archiveFiles(archiveDir)).toEqual(first);

    // A batch that wrote its object but not its pointers comes again: the same object, overwritten.
    await db.archivedAppointment.delete([{ appointmentId: a.appointmentId }, { appointmentId: b.appointmentId }]).go();
    expect(await archiveRecords(db, store, removes)).toEqual({ batchItemFailures: [] });
    expect(archiveFiles(archiveDir)).toEqual(first);
    const { data: pointers } = await db.archivedAppointment.get([{ appointmentId: a.appointmentId }, { appointmentId: b.appointmentId }]).go();
    expect(pointers.map((p) => p.key)).toEqual([Object.keys(first)[0], Object.keys(first)[0]]);
  });

  it("reports the first record it could not archive, and Lambda's retry from it completes the batch", async () => {
    const { table, db } = await freshDb();
    const archiveDir = join(dir, "failing");
    const files = fileArchiveStore(archiveDir);
    const ttl = createLocalTtl({ client: local.client, tableName: table });
    const [a, b] = [await appointment(db), await appointment(db, { clinicId: "clinic-2" })];
    for (const x of [a, b]) await cancel(db, x);
    expect(await ttl.sweep(AFTER_RETENTION)).toBe(2);
    const removes = await removeRecords(table, ttl);

    // S3 refuses clinic-2's object once.
    let refusals = 1;
    const flaky = {
      get: files.get,
      put: async (key: string, body: string) => {
        if (key.includes("/clinic-2/") && refusals-- > 0) throw new Error("SlowDown");
        await files.put(key, body);
      },
    };
    const failedAt = removes.findIndex((r) => r.dynamodb!.OldImage!.appointmentId!.S === b.appointmentId);
    const warnings = vi.spyOn(logger, "warn").mockImplementation(() => logger);
    expect(await archiveRecords(db, flaky, removes)).toEqual({ batchItemFailures: [{ itemIdentifier: removes[failedAt]!.dynamodb!.SequenceNumber }] });
    expect(warnings).toHaveBeenCalledWith("appointments not archived; retrying from the first", expect.objectContaining({ count: 1, error: "SlowDown" }));
    warnings.mockRestore();
    expect(await archiveRecords(db, flaky, removes.slice(failedAt))).toEqual({ batchItemFailures: [] });
    const lines = Object.values(archiveFiles(archiveDir)).flat().map((l) => l.appointmentId);
    expect(lines.sort()).toEqual([a.appointmentId, b.appointmentId].sort());
  });
});
