/**
 * A reader of the table's DynamoDB Local stream: the local stand-in for EventBridge Pipes /
 * a stream-triggered Lambda.
 *
 * ```ts
 * const reader = createStreamReader({ endpoint, tableName, checkpointFile, onRecords });
 * reader.start();          // polls every pollMs of real time (even on the controllable clock) until stop()
 * await reader.drain();    // reads until every shard is caught up (tests, shutdown)
 * await reader.stop();     // waits for the batch in flight; no timer is left behind
 * ```
 *
 * Delivery is at-least-once, in stream order per shard, parents before children:
 * - `onRecords` gets one GetRecords batch at a time. Only after it resolved is the shard's
 *   last sequence number recorded in the checkpoint (and, with `checkpointFile`, written
 *   atomically: temp file + fsync + rename). A crash therefore re-delivers at most the batch
 *   in flight; a restart never skips a record. Consumers are idempotent by event id.
 * - When `onRecords` throws, the checkpoint does not advance and the shard iterator is
 *   dropped: the next poll re-reads from the checkpoint, so the same records come again.
 * - Without `checkpointFile` the checkpoint lives in memory (tests, `--in-memory` runtime).
 * - First run (no checkpoint for a shard): TRIM_HORIZON; afterwards AFTER_SEQUENCE_NUMBER.
 * - Closed shards (NextShardIterator null) are marked done; their children are read next.
 * - ExpiredIteratorException: a new iterator is taken from the checkpoint.
 *   TrimmedDataAccessException (the checkpoint is older than the stream's retention): the
 *   shard is re-read from TRIM_HORIZON and `onError` is told — records in between are lost.
 * - A checkpoint of another stream (the table was re-created) is discarded.
 */
import { mkdir, open, rename } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { DescribeTableCommand, DynamoDBClient, type AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
  type Shard,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { domainEventSchema, type DomainEvent } from "@carebook/core/entities/index";
import { realClearTimeout, realSetTimeout } from "./real-time";

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
const LOCAL_REGION = "local";

/** One stream record, with its images unmarshalled. */
export interface ChangeRecord {
  /** The stream record's own id (`eventID`). */
  recordId: string;
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  shardId: string;
  sequenceNumber: string;
  approximateCreationTime: Date | undefined;
  keys: Record<string, unknown>;
  newImage: Record<string, unknown> | undefined;
  oldImage: Record<string, unknown> | undefined;
  /** The record as Lambda hands it to a stream-triggered function (images still marshalled). */
  lambda: DynamoDBRecord;
}

export interface StreamReaderOptions {
  /** DynamoDB Local's endpoint (it serves the Streams API on the same port). */
  endpoint: string;
  tableName: string;
  /** Where the checkpoint is persisted (JSON). Omitted: in memory only. */
  checkpointFile?: string;
  /** Handles one batch. The checkpoint advances only after it resolved. */
  onRecords: (records: ChangeRecord[]) => Promise<void>;
  /** Pause between polls once caught up. Default 500 ms. */
  pollMs?: number;
  /** GetRecords `Limit` (max records per batch). Default 100 (DynamoDB allows up to 1000). */
  batchSize?: number;
  /** Errors of the background polling loop (onRecords failures included). Default: console.error. */
  onError?: (error: unknown) => void;
}

export interface StreamReader {
  /** Starts background polling (idempotent). */
  start(): void;
  /** Stops polling, waits for the poll in flight, clears the timer, closes the clients. Idempotent. */
  stop(): Promise<void>;
  /**
   * Reads until every readable shard is caught up (a GetRecords returned nothing), delivering
   * through `onRecords`. Rejects with `onRecords`' error (the batch stays undelivered).
   * Serialised with the polling loop; works whether or not the reader is started.
   */
  drain(): Promise<void>;
  /** A copy of the current checkpoint: shard id → last sequence number fully handled. */
  checkpoint(): Record<string, string>;
}

interface ShardCheckpoint {
  /** Last sequence number whose batch `onRecords` finished. */
  sequenceNumber?: string;
  /** The shard is closed and was read to its end. */
  done?: boolean;
}

interface CheckpointFile {
  version: 1;
  streamArn: string;
  shards: Record<string, ShardCheckpoint>;
}

function errorName(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "name" in error
    ? String((error as { name: unknown }).name)
    : undefined;
}

/**
 * DynamoDB Local 3.3.0 writes an empty map attribute (`{"M": {}}`, e.g. an audit entry's
 * empty `details`) into stream records as a bare `{}`, which no reader accepts ("No value
 * defined"). Real DynamoDB streams keep `{"M": {}}`; this puts it back.
 */
function repairEmptyMaps<T>(data: T): T {
  const fixValue = (value: unknown): unknown => {
    if (!value || typeof value !== "object") return value;
    const v = value as Record<string, unknown>;
    if (Object.keys(v).length === 0) return { M: {} };
    if (v.M && typeof v.M === "object") return { M: fixImage(v.M as Record<string, unknown>) };
    if (Array.isArray(v.L)) return { L: v.L.map(fixValue) };
    return v;
  };
  const fixImage = (image: Record<string, unknown>) => Object.fromEntries(Object.entries(image).map(([k, v]) => [k, fixValue(v)]));
  const d = { ...data } as Record<string, unknown>;
  for (const key of ["Keys", "NewImage", "OldImage"]) if (d[key]) d[key] = fixImage(d[key] as Record<string, unknown>);
  return d as T;
}

type LambdaImage = NonNullable<NonNullable<DynamoDBRecord["dynamodb"]>["Keys"]>;

function toChangeRecord(record: _Record, shardId: string, streamArn: string): ChangeRecord {
  const data = repairEmptyMaps(record.dynamodb ?? {});
  // The Streams client's AttributeValue has the same shape as DynamoDB's.
  const image = (value: unknown) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);
  return {
    recordId: record.eventID ?? "",
    eventName: record.eventName as ChangeRecord["eventName"],
    shardId,
    sequenceNumber: data.SequenceNumber ?? "",
    approximateCreationTime: data.ApproximateCreationDateTime,
    keys: image(data.Keys) ?? {},
    newImage: image(data.NewImage),
    oldImage: image(data.OldImage),
    lambda: {
      eventID: record.eventID,
      eventName: record.eventName as DynamoDBRecord["eventName"],
      eventVersion: record.eventVersion ?? "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: record.awsRegion ?? LOCAL_REGION,
      eventSourceARN: streamArn,
      ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
      dynamodb: {
        ...(data.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(data.ApproximateCreationDateTime.getTime() / 1000) } : {}),
        Keys: data.Keys as LambdaImage,
        ...(data.NewImage ? { NewImage: data.NewImage as LambdaImage } : {}),
        ...(data.OldImage ? { OldImage: data.OldImage as LambdaImage } : {}),
        SequenceNumber: data.SequenceNumber,
        SizeBytes: data.SizeBytes,
        StreamViewType: data.StreamViewType as NonNullable<DynamoDBRecord["dynamodb"]>["StreamViewType"],
      },
    },
  };
}

function readCheckpointFile(file: string): CheckpointFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as CheckpointFile;
  if (parsed.version !== 1 || typeof parsed.streamArn !== "string" || typeof parsed.shards !== "object") {
    throw new Error(`stream checkpoint ${file}: unrecognised format`);
  }
  return parsed;
}

async function writeFileAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

export function createStreamReader(options: StreamReaderOptions): StreamReader {
  const pollMs = options.pollMs ?? 500;
  const batchSize = options.batchSize ?? 100;
  const onError = options.onError ?? ((error: unknown) => console.error("stream reader:", error));

  let streamArn: string | undefined;
  let shards: Record<string, ShardCheckpoint> = {};
  /** Live iterators (not persisted); dropped to re-read from the checkpoint. */
  const iterators = new Map<string, string>();
  const stored = options.checkpointFile ? readCheckpointFile(options.checkpointFile) : undefined;

  let ddb: DynamoDBClient | undefined;
  let streams: DynamoDBStreamsClient | undefined;
  const clientConfig = () => ({
    endpoint: options.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
  });
  const ddbClient = () => (ddb ??= new DynamoDBClient(clientConfig()));
  const streamsClient = () => (streams ??= new DynamoDBStreamsClient(clientConfig()));

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  /** Every poll/drain runs after the previous one: one reader of the shards at a time. */
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  async function saveCheckpoint(): Promise<void> {
    if (!options.checkpointFile || !streamArn) return;
    const content: CheckpointFile = { version: 1, streamArn, shards };
    await writeFileAtomically(options.checkpointFile, JSON.stringify(content, null, 2) + "\n");
  }

  async function resolveStreamArn(): Promise<string> {
    if (streamArn) return streamArn;
    const { Table } = await ddbClient().send(new DescribeTableCommand({ TableName: options.tableName }));
    const arn = Table?.LatestStreamArn;
    if (!arn || Table?.StreamSpecification?.StreamEnabled === false) {
      throw new Error(`table ${options.tableName} has no stream enabled`);
    }
    streamArn = arn;
    // A checkpoint of another stream (table re-created) says nothing about this one.
    shards = stored && stored.streamArn === arn ? structuredClone(stored.shards) : {};
    return arn;
  }

  async function listShards(arn: string): Promise<Shard[]> {
    const all: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await streamsClient().send(
        new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      all.push(...(out.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return all;
  }

  async function getIterator(arn: string, shardId: string): Promise<string | undefined> {
    const last = shards[shardId]?.sequenceNumber;
    const request = (type: ShardIteratorType, sequenceNumber?: string) =>
      streamsClient().send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shardId,
          ShardIteratorType: type,
          SequenceNumber: sequenceNumber,
        }),
      );
    try {
      const out = last ? await request("AFTER_SEQUENCE_NUMBER", last) : await request("TRIM_HORIZON");
      return out.ShardIterator;
    } catch (error) {
      if (last && errorName(error) === "TrimmedDataAccessException") {
        onError(new Error(`stream shard ${shardId}: checkpoint ${last} is past retention; re-reading from TRIM_HORIZON`));
        return (await request("TRIM_HORIZON")).ShardIterator;
      }
      throw error;
    }
  }

  /** Reads one shard until it returns an empty batch or ends. Returns the records delivered. */
  async function readShard(arn: string, shardId: string): Promise<number> {
    let delivered = 0;
    for (let expiredRetries = 0; ; ) {
      let iterator = iterators.get(shardId);
      if (!iterator) {
        iterator = await getIterator(arn, shardId);
        if (!iterator) {
          // No iterator for a shard: it is closed and has nothing after the checkpoint.
          shards[shardId] = { ...shards[shardId], done: true };
          await saveCheckpoint();
          return delivered;
        }
        iterators.set(shardId, iterator);
      }
      let out;
      try {
        out = await streamsClient().send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }));
      } catch (error) {
        iterators.delete(shardId);
        if (errorName(error) === "ExpiredIteratorException" && expiredRetries++ < 3) continue;
        throw error;
      }
      const records = (out.Records ?? []).map((r) => toChangeRecord(r, shardId, arn));
      if (records.length) {
        try {
          await options.onRecords(records);
        } catch (error) {
          // Re-read this batch from the checkpoint next time.
          iterators.delete(shardId);
          throw error;
        }
        delivered += records.length;
        shards[shardId] = { ...shards[shardId], sequenceNumber: records[records.length - 1]!.sequenceNumber };
      }
      if (!out.NextShardIterator) {
        iterators.delete(shardId);
        shards[shardId] = { ...shards[shardId], done: true };
        await saveCheckpoint();
        return delivered;
      }
      iterators.set(shardId, out.NextShardIterator);
      if (records.length) await saveCheckpoint();
      else return delivered;
    }
  }

  /** One pass over all shards, parents before children. Returns the records delivered. */
  async function pass(): Promise<number> {
    const arn = await resolveStreamArn();
    const list = await listShards(arn);
    const present = new Set(list.map((s) => s.ShardId!));
    let delivered = 0;
    // Repeat so that a child becomes readable in the same pass once its parent is done.
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const shard of list) {
        const id = shard.ShardId!;
        if (shards[id]?.done) continue;
        const parent = shard.ParentShardId;
        if (parent && present.has(parent) && !shards[parent]?.done) continue;
        delivered += await readShard(arn, id);
        if (shards[id]?.done) progressed = true;
      }
    }
    return delivered;
  }

  function schedule(): void {
    if (!running) return;
    timer = realSetTimeout(() => {
      timer = undefined;
      void serialised(pass)
        .catch((error) => onError(error))
        .finally(schedule);
    }, pollMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) realClearTimeout(timer);
      timer = undefined;
      await queue;
      // A poll that was in flight may have scheduled nothing (running is false), but clear again.
      if (timer) realClearTimeout(timer);
      timer = undefined;
      ddb?.destroy();
      streams?.destroy();
      ddb = undefined;
      streams = undefined;
      iterators.clear();
    },
    drain() {
      return serialised(async () => {
        // New shards may appear while reading; stop once a whole pass delivered nothing.
        while ((await pass()) > 0);
      });
    },
    checkpoint() {
      return Object.fromEntries(
        Object.entries(shards).flatMap(([id, s]) => (s.sequenceNumber ? [[id, s.sequenceNumber]] : [])),
      );
    },
  };
}

const DOMAIN_EVENT_ATTRIBUTES = Object.keys(domainEventSchema.attributes) as (keyof DomainEvent)[];

/**
 * The domain events among stream records: INSERTs of `domainEvent` items (ElectroDB stores
 * the entity name in `__edb_e__`, its version in `__edb_v__`), as DomainEvent objects
 * (ElectroDB's key and identifier attributes removed). Outbox items are only ever inserted,
 * so MODIFY/REMOVE (e.g. a TTL deletion) are not events.
 */
export function domainEvents(records: readonly ChangeRecord[]): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const record of records) {
    const item = record.newImage;
    if (record.eventName !== "INSERT" || !item || item.__edb_e__ !== domainEventSchema.model.entity) continue;
    const event: Record<string, unknown> = {};
    for (const name of DOMAIN_EVENT_ATTRIBUTES) if (name in item) event[name] = item[name];
    events.push(event as DomainEvent);
  }
  return events;
}
