/**
 * The local events pipeline (packages/local/src/events.ts): the bus behind the real
 * EventBridgeClient, routing by the consumers' patterns, retries and dead letters; the
 * publisher handler turning outbox items into bus entries; stream consumers on a real
 * DynamoDB Local with filters, checkpoints and re-delivery.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDb } from "@carebook/core/entities/index";
import { EVENT_SOURCE, toBusEntry, type BusEvent } from "@carebook/core/events/bus";
import { buildEvent } from "@carebook/core/events/schemas";
import type { EventConsumer, StreamConsumer } from "../../functions/events/index";
import { createLocalIssuer } from "../../packages/local/src/auth";
import { makeDocumentClient, makeDynamoClient, startDynamoLocal, type DynamoLocal } from "../../packages/local/src/dynamo";
import { createLocalBus, eventsRoutes, LOCAL_BUS_NAME, startStreamConsumers, type LocalBus } from "../../packages/local/src/events";
import { createApiServer, listen, type LambdaHandler } from "../../packages/local/src/http";
import { ensureTable } from "../../packages/local/src/table";

const dir = mkdtempSync(join(tmpdir(), "carebook-events-"));
const appointment = { appointmentId: "a1", clinicId: "c1", regionId: "r1" };
const booked = (n: number, at = `2026-03-01T10:00:${String(n % 60).padStart(2, "0")}.000Z`) =>
  buildEvent("AppointmentBooked", appointment, at, { patientId: `p${n}`, start: "2026-04-01T09:00:00Z", typeId: "t1", doctorId: "d1", version: n });

/** Handlers by module path, standing in for the handler modules the table names. */
const handlers = new Map<string, LambdaHandler>();
const loadHandler = async (path: string) => {
  const handler = handlers.get(path);
  if (!handler) throw new Error(`no handler ${path}`);
  return handler;
};

const consumer = (handler: string, types: string[]): EventConsumer => ({
  handler,
  table: "none",
  description: "test",
  pattern: { source: [EVENT_SOURCE], "detail-type": types },
});

describe("local bus", () => {
  let bus: LocalBus;
  let server: Server;
  let client: EventBridgeClient;
  const received: Record<string, BusEvent[]> = { a: [], b: [] };
  let failuresLeft = 0;

  beforeAll(async () => {
    handlers.set("t/a.handler", async (event: BusEvent) => void received.a!.push(event));
    handlers.set("t/b.handler", async (event: BusEvent) => {
      if (failuresLeft-- > 0) throw Object.assign(new Error("flaky"), { name: "Flaky" });
      received.b!.push(event);
    });
    bus = createLocalBus({
      consumers: [
        ["a", consumer("t/a.handler", ["AppointmentBooked", "AppointmentCancelled"])],
        ["b", consumer("t/b.handler", ["AppointmentBooked"])],
      ],
      loadHandler,
      dataDir: dir,
    });
    const issuer = await createLocalIssuer({ issuerUrl: "http://127.0.0.1/local-auth", audience: "x" });
    server = createApiServer({ routes: {}, issuer, extraRoutes: eventsRoutes(bus) });
    const url = await listen(server, 0);
    client = new EventBridgeClient({ endpoint: `${url}/local/events`, region: "local", credentials: { accessKeyId: "l", secretAccessKey: "l" } });
  });
  afterAll(async () => {
    client?.destroy();
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    received.a = [];
    received.b = [];
    failuresLeft = 0;
  });

  it("delivers each entry to the consumers whose pattern matches, shaped as EventBridge delivers it", async () => {
    const item = booked(1);
    const out = await client.send(new PutEventsCommand({ Entries: [toBusEntry(item, LOCAL_BUS_NAME)] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(received.a).toHaveLength(1);
    expect(received.b).toHaveLength(1);
    const event = received.a![0]!;
    expect(event).toMatchObject({ version: "0", source: EVENT_SOURCE, "detail-type": "AppointmentBooked", time: "2026-03-01T10:00:01Z", detail: item });
    expect(event.id).toBe(out.Entries![0]!.EventId);

    const cancelled = buildEvent("AppointmentCancelled", appointment, "2026-03-01T11:00:00Z", { patientId: "p", start: "2026-04-01T09:00:00Z", reason: "x", version: 2 });
    await client.send(new PutEventsCommand({ Entries: [toBusEntry(cancelled, LOCAL_BUS_NAME)] }));
    expect(received.a).toHaveLength(2);
    expect(received.b).toHaveLength(1); // b's pattern does not take cancellations
  });

  it("retries a failing consumer, then parks the event in its dead letters without failing the put", async () => {
    failuresLeft = 1;
    await client.send(new PutEventsCommand({ Entries: [toBusEntry(booked(2), LOCAL_BUS_NAME)] }));
    expect(received.b).toHaveLength(1);
    expect(bus.deliveries().at(-1)).toMatchObject({ consumer: "b", status: "delivered", attempts: 2 });

    failuresLeft = 100;
    const out = await client.send(new PutEventsCommand({ Entries: [toBusEntry(booked(3), LOCAL_BUS_NAME)] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(received.a).toHaveLength(2);
    expect(received.b).toHaveLength(1);
    const letters = bus.deadLetters("b");
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ consumer: "b", attempts: 3, error: "Flaky: flaky" });
    expect((letters[0]!.event.detail as { eventId: string }).eventId).toBe((received.a![1]!.detail as { eventId: string }).eventId);
    const file = readFileSync(join(dir, "dead-letters", "b.jsonl"), "utf8").trim().split("\n");
    expect(file).toHaveLength(1);
  });

  it("refuses malformed entries one by one, as EventBridge does", async () => {
    const good = toBusEntry(booked(4), LOCAL_BUS_NAME);
    const out = await client.send(
      new PutEventsCommand({
        Entries: [{ ...good, Detail: "not json" }, good, { ...good, EventBusName: "another-bus" }, { ...good, Detail: "[1]" }],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries!.map((e) => e.ErrorCode ?? "ok")).toEqual(["MalformedDetail", "ok", "ResourceNotFoundException", "MalformedDetail"]);
    expect(received.a).toHaveLength(1);
  });

  it("fails PutEvents while a fault is injected (the SDK sees a 500)", async () => {
    bus.faults.set("PutEvents", 1);
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local/events`;
    const flaky = new EventBridgeClient({ endpoint, region: "local", credentials: { accessKeyId: "l", secretAccessKey: "l" }, maxAttempts: 1 });
    await expect(flaky.send(new PutEventsCommand({ Entries: [toBusEntry(booked(5), LOCAL_BUS_NAME)] }))).rejects.toMatchObject({ name: "InternalException" });
    expect(received.a).toHaveLength(0);
    flaky.destroy();
  });
});

describe("publisher and stream consumers on DynamoDB Local", () => {
  let ddb: DynamoLocal;
  let raw: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let server: Server;
  let bus: LocalBus;
  const seen: BusEvent[] = [];

  beforeAll(async () => {
    ddb = await startDynamoLocal({ inMemory: true });
    raw = makeDynamoClient(ddb.endpoint);
    doc = makeDocumentClient(ddb.endpoint);
    handlers.set("t/seen.handler", async (event: BusEvent) => void seen.push(event));
    bus = createLocalBus({ consumers: [["seen", consumer("t/seen.handler", ["AppointmentBooked", "AppointmentCancelled"])]], loadHandler });
    const issuer = await createLocalIssuer({ issuerUrl: "http://127.0.0.1/local-auth", audience: "x" });
    server = createApiServer({ routes: {}, issuer, extraRoutes: eventsRoutes(bus) });
    const url = await listen(server, 0);
    process.env.CAREBOOK_EVENTS_ENDPOINT = `${url}/local/events`;
    process.env.CAREBOOK_EVENT_BUS = LOCAL_BUS_NAME;
    handlers.set("functions/events/publish.handler", (await import("../../functions/events/publish")).handler as LambdaHandler);
  }, 40_000);
  afterAll(async () => {
    doc?.destroy();
    raw?.destroy();
    await new Promise((done) => server?.close(done));
    await ddb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => void (seen.length = 0));

  let tables = 0;
  async function freshDb() {
    const table = `events-${++tables}`;
    await ensureTable(raw, table);
    return { table, db: createDb(doc, table) };
  }

  const publisher: StreamConsumer = {
    handler: "functions/events/publish.handler",
    table: "none",
    description: "test",
    filters: [{ eventName: ["INSERT"], dynamodb: { NewImage: { __edb_e__: { S: ["domainEvent"] } } } }],
    batchSize: 100,
    publishes: true,
  };

  it("publishes each committed outbox item once, in order, and nothing else", async () => {
    const { table, db } = await freshDb();
    const items = Array.from({ length: 23 }, (_, i) => booked(i + 1));
    for (const item of items) await db.domainEvent.create(item).go();
    // Not events: an audit entry with empty details (DynamoDB Local streams it as `{}`), a change to an event.
    await db.auditEntry.create({ auditId: "x", subjectType: "appointment", subjectId: "a1", clinicId: "c1", action: "t", actorId: "u", actorRole: "patient", at: "2026-03-01T10:00:00.000Z", details: {} }).go();
    await db.domainEvent.patch({ appointmentId: "a1", occurredAt: items[0]!.occurredAt, eventId: items[0]!.eventId }).set({ clinicId: "c2" }).go();

    const consumers = startStreamConsumers({ consumers: [["publisher", publisher]], endpoint: ddb.endpoint, tableName: table, loadHandler, dataDir: dir, pollMs: 50 });
    try {
      await consumers.drain();
      expect(seen.map((e) => (e.detail as { eventId: string }).eventId)).toEqual(items.map((i) => i.eventId));
      expect(seen[0]!.detail).toEqual(items[0]);
      const checkpoint = JSON.parse(readFileSync(join(dir, "streams", "publisher.json"), "utf8"));
      expect(Object.keys(checkpoint.shards).length).toBeGreaterThan(0);
    } finally {
      await consumers.stop();
    }

    // A second reader on the same checkpoint: nothing again.
    const again = startStreamConsumers({ consumers: [["publisher", publisher]], endpoint: ddb.endpoint, tableName: table, loadHandler, dataDir: dir, pollMs: 50 });
    await again.drain();
    await again.stop();
    expect(seen).toHaveLength(items.length);
  });

  it("re-delivers from the first refused entry when the bus fails, so nothing is lost", async () => {
    const { table, db } = await freshDb();
    const items = Array.from({ length: 12 }, (_, i) => booked(i + 1));
    for (const item of items) await db.domainEvent.create(item).go();
    const consumers = startStreamConsumers({ consumers: [["publisher", publisher]], endpoint: ddb.endpoint, tableName: table, loadHandler, pollMs: 50 });
    const original = bus.putEvents;
    try {
      // The bus refuses the second chunk (entries 11-12) once; the reader keeps its checkpoint.
      let failedOnce = false;
      bus.putEvents = async (entries) => {
        if (!failedOnce && entries.length === 2) {
          failedOnce = true;
          return { FailedEntryCount: 2, Entries: entries.map(() => ({ ErrorCode: "InternalFailure", ErrorMessage: "injected" })) };
        }
        return original(entries);
      };
      await expect(consumers.drain()).rejects.toThrow(/failed record/);
      expect(seen).toHaveLength(10);
      await consumers.drain();
      const ids = seen.map((e) => (e.detail as { eventId: string }).eventId);
      // The whole batch came again: the first ten twice (consumers deduplicate), the last two once.
      expect(new Set(ids)).toEqual(new Set(items.map((i) => i.eventId)));
      expect(ids.slice(-12)).toEqual(items.map((i) => i.eventId));
    } finally {
      bus.putEvents = original;
      await consumers.stop();
    }
  });
});
