/**
 * The stream reader (packages/local/src/streams.ts) against a real DynamoDB Local: order,
 * the domainEvent filter, checkpoint/restart without loss or duplicates, re-delivery after a
 * failing consumer.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "@carebook/core/entities/index";
import { buildEvent } from "@carebook/core/events/schemas";
import { createStreamReader, domainEvents, type ChangeRecord } from "../../packages/local/src/streams";
import { useDynamoLocal } from "../support/dynamo-local";

const local = useDynamoLocal();
const dir = mkdtempSync(join(tmpdir(), "carebook-streams-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freshDb = () => local.freshTable("streams");

const appointment = { appointmentId: "a1", clinicId: "c1", regionId: "r1" };
let minute = 0;
function event(n: number): DomainEvent {
  const at = `2026-03-01T10:${String(minute++ % 60).padStart(2, "0")}:00.000Z`;
  return buildEvent("AppointmentBooked", appointment, at, {
    patientId: `p${n}`,
    start: "2026-04-01T09:00:00.000Z",
    typeId: "t1",
    doctorId: "d1",
    version: 1,
  });
}
const region = {
  regionId: "r1",
  name: "North",
  awsRegion: "eu-central-1",
  defaultTimeZone: "Europe/Berlin",
  retentionDays: 365,
  reminderOffsetsMinutes: [1440, 120],
};

/** Collects delivered batches; `until(n)` resolves once n records arrived (or times out). */
function collector() {
  const batches: ChangeRecord[][] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const all = () => batches.flat();
  return {
    batches,
    all,
    onRecords: async (records: ChangeRecord[]) => {
      batches.push(records);
      for (const w of waiters) if (all().length >= w.n) w.resolve();
    },
    until(n: number, timeoutMs = 5_000): Promise<void> {
      if (all().length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${all().length} of ${n} records after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

const increasing = (records: ChangeRecord[]) =>
  records.every((r, i) => i === 0 || BigInt(r.sequenceNumber) > BigInt(records[i - 1]!.sequenceNumber));

describe("stream reader", () => {
  it("delivers committed changes in order, filters domain events, and resumes from its checkpoint", async () => {
    const { table, db } = await freshDb();
    const checkpointFile = join(dir, "first", "checkpoint.json");
    const first = collector();
    const reader = createStreamReader({ endpoint: local.endpoint, tableName: table, checkpointFile, onRecords: first.onRecords, pollMs: 20 });
    reader.start();

    const e1 = event(1);
    const e2 = event(2);
    const e3 = event(3);
    await db.region.put(region).go();
    await db.domainEvent.put(e1).go();
    await db.domainEvent.put(e2).go();
    await db.region.patch({ regionId: "r1" }).set({ name: "North-East" }).go();
    await db.domainEvent.put(e3).go();
    await db.region.delete({ regionId: "r1" }).go();

    await first.until(6);
    await reader.drain(); // nothing more should come
    await reader.stop();

    const records = first.all();
    expect(records.map((r) => r.eventName)).toEqual(["INSERT", "INSERT", "INSERT", "MODIFY", "INSERT", "REMOVE"]);
    expect(increasing(records)).toBe(true);
    expect(records[0]!.newImage).toMatchObject({ ...region, __edb_e__: "region" });
    expect(records[3]!.oldImage).toMatchObject({ name: "North" });
    expect(records[3]!.newImage).toMatchObject({ name: "North-East" });
    expect(records[5]!.oldImage).toMatchObject({ name: "North-East" });
    expect(records[5]!.newImage).toBeUndefined();
    expect(records[0]!.approximateCreationTime).toBeInstanceOf(Date);
    expect(records[0]!.keys).toEqual({ pk: records[0]!.newImage!.pk, sk: records[0]!.newImage!.sk });
    expect(domainEvents(records)).toEqual([e1, e2, e3]);

    // The checkpoint on disk is the last record handled.
    const saved = JSON.parse(readFileSync(checkpointFile, "utf8"));
    const last = records[records.length - 1]!;
    expect(saved.shards[last.shardId].sequenceNumber).toBe(last.sequenceNumber);
    expect(reader.checkpoint()[last.shardId]).toBe(last.sequenceNumber);

    // Written while no reader runs: a new reader on the same checkpoint gets exactly these.
    const e4 = event(4);
    const e5 = event(5);
    await db.domainEvent.put(e4).go();
    await db.domainEvent.put(e5).go();
    const second = collector();
    const restarted = createStreamReader({ endpoint: local.endpoint, tableName: table, checkpointFile, onRecords: second.onRecords, pollMs: 20 });
    restarted.start();
    await second.until(2);
    const e6 = event(6);
    await db.domainEvent.put(e6).go();
    await second.until(3);
    await restarted.drain();
    await restarted.stop();
    expect(domainEvents(second.all())).toEqual([e4, e5, e6]);
    expect(second.all()).toHaveLength(3);
    expect(increasing([...records, ...second.all()])).toBe(true);

    // A reader without a checkpoint file starts at the trim horizon: everything again.
    const fresh = collector();
    const inMemory = createStreamReader({ endpoint: local.endpoint, tableName: table, onRecords: fresh.onRecords });
    await inMemory.drain();
    await inMemory.stop();
    expect(domainEvents(fresh.all())).toEqual([e1, e2, e3, e4, e5, e6]);
  });

  it("re-delivers a batch whose handler failed and does not advance the checkpoint", async () => {
    const { table, db } = await freshDb();
    const checkpointFile = join(dir, "failing.json");
    const e1 = event(11);
    const e2 = event(12);
    await db.domainEvent.put(e1).go();
    await db.domainEvent.put(e2).go();

    const calls: ChangeRecord[][] = [];
    let fail = true;
    const reader = createStreamReader({
      endpoint: local.endpoint,
      tableName: table,
      checkpointFile,
      onRecords: async (records) => {
        calls.push(records);
        if (fail) {
          fail = false;
          throw new Error("consumer down");
        }
      },
    });
    await expect(reader.drain()).rejects.toThrow("consumer down");
    expect(reader.checkpoint()).toEqual({});
    expect(existsSync(checkpointFile)).toBe(false);

    await reader.drain();
    await reader.stop();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.map((r) => r.sequenceNumber)).toEqual(calls[0]!.map((r) => r.sequenceNumber));
    expect(domainEvents(calls[1]!)).toEqual([e1, e2]);
    const last = calls[1]![1]!;
    expect(JSON.parse(readFileSync(checkpointFile, "utf8")).shards[last.shardId].sequenceNumber).toBe(last.sequenceNumber);
  });

  it("retries a failed batch in the background loop and leaves no timer after stop()", async () => {
    const { table, db } = await freshDb();
    const errors: unknown[] = [];
    const seen = collector();
    let fail = true;
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const reader = createStreamReader({
      endpoint: local.endpoint,
      tableName: table,
      pollMs: 10,
      onError: (error) => errors.push(error),
      onRecords: async (records) => {
        if (fail) {
          fail = false;
          throw new Error("once");
        }
        await seen.onRecords(records);
      },
    });
    reader.start();
    const e1 = event(21);
    await db.domainEvent.put(e1).go();
    await seen.until(1);
    await reader.stop();
    expect(errors).toHaveLength(1);
    expect(domainEvents(seen.all())).toEqual([e1]);
    expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBeLessThanOrEqual(timersBefore);
  });
});
