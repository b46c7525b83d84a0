/**
 * The events table (functions/events/index.ts) run locally:
 *
 * - **Stream consumers**: one reader of DynamoDB Local's stream per `streamConsumers` entry,
 *   each with its own checkpoint (`<dataDir>/streams/<name>.json`), as each event-source
 *   mapping has its own position in AWS. Records are shaped as Lambda hands them over, the
 *   entry's `filters` applied with the project's matcher (as Lambda's filter criteria do),
 *   and the handler module invoked in-process. A failed batch (a throw, or
 *   `batchItemFailures`) leaves the checkpoint where it was: the batch comes again.
 * - **The bus**: `PutEvents` at `POST /local/events` (the AWS JSON protocol that
 *   @aws-sdk/client-eventbridge speaks), each entry matched against every `eventConsumers`
 *   pattern and handed to the matching consumers' handlers, retried, and parked in the
 *   consumer's dead-letter list (`GET /local/dead-letters`, and
 *   `<dataDir>/dead-letters/<consumer>.jsonl`) when it keeps failing.
 *
 * One difference from AWS, on purpose: locally PutEvents answers only after the targets
 * ran. EventBridge stores an accepted event durably before delivering it; this process has
 * no such store, so the stream checkpoint is the durable point instead — it advances only
 * after the consumers had the event. A crash in between re-delivers, and consumers are
 * idempotent by event id, so every event takes effect exactly once.
 */
import { randomUUID } from "node:crypto";
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import { matches, type EventPattern } from "@carebook/core/events/pattern";
import type { BusEvent } from "@carebook/core/events/bus";
import type { EventConsumer, StreamConsumer } from "../../../functions/events/index";
import { track } from "./activity";
import { createLambdaContext, DEFAULT_TIMEOUT_MS, invokeLambda, type HandlerLoader } from "./http";
import { realSetTimeout } from "./real-time";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "./stepfunctions/engine";
import type { FaultPlan } from "./stepfunctions/endpoint";
import { createStreamReader, type ChangeRecord, type StreamReader } from "./streams";

export const LOCAL_BUS_NAME = "carebook-local-events";

/** Which of the two local buses an EventBusName (name or ARN) means: Carebook's own, or the
 * account's default bus (where AWS services such as SES put their events). */
function busOf(name: unknown): "carebook" | "default" | undefined {
  const bus = String(name).replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, "");
  return bus === LOCAL_BUS_NAME ? "carebook" : bus === "default" ? "default" : undefined;
}

/** Attempts per consumer and event before the dead-letter list (EventBridge: up to 185 over 24 h). */
const DELIVERY_ATTEMPTS = 3;
const retryDelayMs = (attempt: number) => 50 * 4 ** attempt;
const MAX_REQUEST_BYTES = 1024 * 1024;
/** EventBridge's limit on one entry. */
const MAX_ENTRY_BYTES = 256 * 1024;

export interface Delivery {
  eventId: string;
  /** The domain event's own id (detail.eventId), when there is one. */
  domainEventId?: string;
  detailType: string;
  consumer: string;
  status: "delivered" | "dead-lettered";
  attempts: number;
  error?: string;
  at: string;
}

export interface DeadLetter {
  consumer: string;
  event: BusEvent;
  error: string;
  attempts: number;
  at: string;
}

export interface LocalBus {
  name: string;
  /** PutEvents: resolves when every matching consumer had each event (or dead-lettered it). */
  putEvents(entries: unknown[]): Promise<{ FailedEntryCount: number; Entries: Array<Record<string, string>> }>;
  /** The last deliveries, oldest first (at most 1000). */
  deliveries(): Delivery[];
  deadLetters(consumer?: string): DeadLetter[];
  faults: FaultPlan;
}

export function createLocalBus(options: {
  consumers: Array<[string, EventConsumer]>;
  loadHandler: HandlerLoader;
  dataDir?: string;
}): LocalBus {
  const deliveries: Delivery[] = [];
  const deadLetters: DeadLetter[] = [];
  const faults: FaultPlan = new Map();

  async function deliver(name: string, consumer: EventConsumer, event: BusEvent): Promise<void> {
    let attempts = 0;
    let lastError = "";
    for (; attempts < DELIVERY_ATTEMPTS; attempts++) {
      if (attempts > 0) await new Promise((done) => realSetTimeout(done, retryDelayMs(attempts)));
      try {
        const handler = await options.loadHandler(consumer.handler);
        await invokeLambda(handler, structuredClone(event), createLambdaContext(consumer.handler, randomUUID(), DEFAULT_TIMEOUT_MS));
        record({ status: "delivered", attempts: attempts + 1 });
        return;
      } catch (error) {
        lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    console.error(`[local-bus] ${name} failed ${attempts} times on ${event["detail-type"]} ${event.id}: ${lastError}`);
    const letter: DeadLetter = { consumer: name, event, error: lastError, attempts, at: new Date().toISOString() };
    deadLetters.push(letter);
    if (options.dataDir) {
      const dir = join(options.dataDir, "dead-letters");
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, `${name}.jsonl`), JSON.stringify(letter) + "\n");
    }
    record({ status: "dead-lettered", attempts, error: lastError });

    function record(outcome: Pick<Delivery, "status" | "attempts" | "error">) {
      const domainEventId = (event.detail as { eventId?: unknown } | null)?.eventId;
      deliveries.push({
        eventId: event.id,
        ...(typeof domainEventId === "string" ? { domainEventId } : {}),
        detailType: event["detail-type"],
        consumer: name,
        at: new Date().toISOString(),
        ...outcome,
      });
      if (deliveries.length > 1000) deliveries.splice(0, deliveries.length - 1000);
    }
  }

  async function putEvents(entries: unknown[]) {
    const results: Array<Record<string, string>> = [];
    const work: Promise<void>[] = [];
    for (const raw of entries) {
      const entry = (raw ?? {}) as Record<string, unknown>;
      const problem = entryProblem(entry);
      if (problem) {
        results.push(problem);
        continue;
      }
      const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === "number" ? entry.Time * 1000 : String(entry.Time));
      const event: BusEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": String(entry.DetailType),
        source: String(entry.Source),
        account: LOCAL_ACCOUNT,
        time: (Number.isNaN(time.getTime()) ? new Date() : time).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: LOCAL_REGION,
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
        detail: JSON.parse(String(entry.Detail)),
      };
      results.push({ EventId: event.id });
      const bus = busOf(entry.EventBusName ?? "default");
      for (const [name, consumer] of options.consumers) {
        if ((consumer.bus ?? "carebook") === bus && matches(consumer.pattern as EventPattern, event)) work.push(track(deliver(name, consumer, event)));
      }
    }
    await Promise.all(work);
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }

  function entryProblem(entry: Record<string, unknown>): Record<string, string> | undefined {
    const bus = entry.EventBusName;
    if (bus !== undefined && busOf(bus) === undefined) {
      return { ErrorCode: "ResourceNotFoundException", ErrorMessage: `Event bus ${String(bus)} does not exist.` };
    }
    if (typeof entry.Source !== "string" || !entry.Source) return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid." };
    if (typeof entry.DetailType !== "string" || !entry.DetailType) {
      return { ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid." };
    }
    if (typeof entry.Detail !== "string" || Buffer.byteLength(entry.Detail) > MAX_ENTRY_BYTES) {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    try {
      const detail = JSON.parse(entry.Detail);
      if (!detail || typeof detail !== "object" || Array.isArray(detail)) throw new Error("not an object");
    } catch {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    return undefined;
  }

  return {
    name: LOCAL_BUS_NAME,
    putEvents,
    deliveries: () => [...deliveries],
    deadLetters: (consumer) => deadLetters.filter((d) => !consumer || d.consumer === consumer),
    faults,
  };
}

function replyJson(res: ServerResponse, status: number, body: unknown, contentType = "application/json", headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** The local bus's HTTP side, for createApiServer's extraRoutes. */
export function eventsRoutes(bus: LocalBus) {
  const amzJson = "application/x-amz-json-1.1";
  const awsError = (res: ServerResponse, status: number, code: string, message: string) =>
    replyJson(res, status, { __type: code, message }, amzJson, { "x-amzn-errortype": code, "x-amzn-requestid": randomUUID() });

  async function endpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
    }
    if (size > MAX_REQUEST_BYTES) return awsError(res, 413, "RequestEntityTooLargeException", "Request too large");
    const target = String(req.headers["x-amz-target"] ?? "");
    if (target !== "AWSEvents.PutEvents") return awsError(res, 400, "UnknownOperationException", `Operation not supported locally: '${target}'`);
    const failures = bus.faults.get("PutEvents") ?? 0;
    if (failures > 0) {
      bus.faults.set("PutEvents", failures - 1);
      return awsError(res, 500, "InternalException", "injected failure of PutEvents (POST /local/faults)");
    }
    let body: { Entries?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch {
      return awsError(res, 400, "SerializationException", "Request body is not JSON");
    }
    if (!Array.isArray(body.Entries) || body.Entries.length < 1 || body.Entries.length > 10) {
      return awsError(res, 400, "ValidationException", "Entries must hold 1 to 10 entries");
    }
    replyJson(res, 200, await bus.putEvents(body.Entries), amzJson, { "x-amzn-requestid": randomUUID() });
  }

  return {
    "POST /local/events": endpoint,
    "POST /local/events/": endpoint,
    /** `GET /local/events?consumer=&detailType=`: recent deliveries. */
    "GET /local/events": async (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const query = new URL(req.url ?? "/", "http://local").searchParams;
      const consumer = query.get("consumer");
      const detailType = query.get("detailType");
      replyJson(res, 200, {
        deliveries: bus.deliveries().filter((d) => (!consumer || d.consumer === consumer) && (!detailType || d.detailType === detailType)),
      });
    },
    /** `GET /local/dead-letters?consumer=`: events a consumer kept failing on. */
    "GET /local/dead-letters": async (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const consumer = new URL(req.url ?? "/", "http://local").searchParams.get("consumer") ?? undefined;
      replyJson(res, 200, { deadLetters: bus.deadLetters(consumer) });
    },
  };
}

export interface StreamConsumers {
  /** Reads every stream until caught up, delivering as usual (tests, shutdown). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts one stream reader per stream consumer. */
export function startStreamConsumers(options: {
  consumers: Array<[string, StreamConsumer]>;
  endpoint: string;
  tableName: string;
  loadHandler: HandlerLoader;
  dataDir?: string;
  pollMs?: number;
  /** The record as AWS would hand it over, where DynamoDB Local's differs: TTL deletions
   * (ttl.ts `lambdaRecord`). Default: as read. */
  lambdaRecord?: (record: ChangeRecord) => DynamoDBRecord;
}): StreamConsumers {
  const lambdaRecord = options.lambdaRecord ?? ((record: ChangeRecord) => record.lambda);
  const readers: StreamReader[] = options.consumers.map(([name, consumer]) =>
    createStreamReader({
      endpoint: options.endpoint,
      tableName: options.tableName,
      checkpointFile: options.dataDir ? join(options.dataDir, "streams", `${name}.json`) : undefined,
      pollMs: options.pollMs ?? 200,
      batchSize: consumer.batchSize,
      onError: (error) => console.error(`[local-stream] ${name}:`, (error as Error).stack ?? error),
      onRecords: (records) =>
        track(
          (async () => {
            const matching = records.map(lambdaRecord).filter((r) => consumer.filters.some((f) => matches(f as EventPattern, r)));
            if (matching.length === 0) return;
            const handler = await options.loadHandler(consumer.handler);
            const context = createLambdaContext(consumer.handler, randomUUID(), DEFAULT_TIMEOUT_MS);
            const response = (await invokeLambda(handler, { Records: matching }, context)) as DynamoDBBatchResponse | undefined;
            const failed = response?.batchItemFailures ?? [];
            if (failed.length > 0) {
              throw new Error(`${name} reported ${failed.length} failed record(s) from ${failed[0]!.itemIdentifier}; the batch comes again`);
            }
          })(),
        ),
    }),
  );
  for (const reader of readers) reader.start();
  return {
    async drain() {
      await Promise.all(readers.map((r) => r.drain()));
    },
    async stop() {
      await Promise.all(readers.map((r) => r.stop()));
    },
  };
}
