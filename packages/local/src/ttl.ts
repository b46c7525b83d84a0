/**
 * DynamoDB's Time to Live, locally.
 *
 * The bundled DynamoDB Local (2026-01-16) has a TTL job of its own, but it runs on the wall
 * clock — never on the runtime's controllable clock, so a test that jumps months ahead expires
 * nothing — and it is erratic (appointment items went within a second; small items with the
 * same expiry stayed for minutes). Worse, its deletions reach the Streams API as records with
 * eventName "UNKNOWN_TO_SDK_VERSION" (its internal EXPIRE, which only its embedded client maps to
 * REMOVE) and no `userIdentity`: no consumer's filter would ever match them. So:
 *
 * - This stand-in deletes, on a timer (runtime.ts) or on request (`POST /local/ttl/sweep`), what
 *   the TTL service would: every item whose TTL attribute (`tableDefinition.timeToLiveAttribute`)
 *   is a number of epoch seconds before now — and not more than five years before, which AWS
 *   ignores — with the expiry checked again in the delete's condition (an item whose TTL was
 *   moved meanwhile stays). "Now" is the runtime's clock, so jumping it expires items.
 * - `lambdaRecord` gives the stream consumers (events.ts) each record as AWS would: a TTL
 *   deletion is a REMOVE with `userIdentity: { type: "Service", principalId:
 *   "dynamodb.amazonaws.com" }` (what the archiver's filter asks for). DynamoDB Local's own
 *   expiry records are recognised by their event name; this stand-in's deletions are plain
 *   REMOVEs, recognised by what it remembers of them — table key and TTL value, which the
 *   record's Keys and OldImage repeat. Those are written ahead of the deletes to
 *   `<dataDir>/ttl-deletions.json` (kept data only), so a restart between a delete and the
 *   delivery of its record still marks it, and forgotten after the stream's 24-hour retention.
 *   Everything else in the record is as DynamoDB Local wrote it.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { tableDefinition } from "@carebook/core/entities/table";
import type { ChangeRecord } from "./streams";

/** How AWS identifies the TTL service in a stream record. */
export const TTL_USER_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;
/** The event names DynamoDB Local's own TTL deletions reach the Streams API with. */
const DYNAMODB_LOCAL_EXPIRY = new Set(["UNKNOWN_TO_SDK_VERSION", "EXPIRE"]);
/** How often the local runtime sweeps (AWS deletes expired items typically within two days). */
export const LOCAL_TTL_PERIOD_MS = 5 * 60_000;
/** DynamoDB TTL leaves alone items whose expiry is more than five years in the past. */
const IGNORED_AFTER_SECONDS = 5 * 365 * 86_400;
/** A stream keeps records 24 hours: a deletion older than that has no record left to mark. */
const REMEMBER_MS = 24 * 3600_000;
/** Wall-clock milliseconds that the controllable clock does not move (performance is never faked). */
const wallClock = () => performance.timeOrigin + performance.now();

export interface LocalTtl {
  /** Deletes the items expired at `now` (default: the clock's now). Resolves with how many. */
  sweep(now?: number): Promise<number>;
  /** The record as Lambda would get it from AWS: TTL deletions (DynamoDB Local's and this
   * stand-in's) as REMOVEs by the TTL service; anything else as read. */
  lambdaRecord(record: ChangeRecord): DynamoDBRecord;
}

export function createLocalTtl(options: { client: DynamoDBClient; tableName: string; dataDir?: string }): LocalTtl {
  const { client, tableName } = options;
  const attribute = tableDefinition.timeToLiveAttribute;
  const { partitionKey, sortKey } = tableDefinition.primaryIndex;
  const file = options.dataDir ? join(options.dataDir, "ttl-deletions.json") : undefined;
  /** fingerprint (key + TTL value) → when it was deleted (wall clock); read at once, so a
   * restarted runtime marks the records of deletions made before it stopped. */
  const deleted = new Map<string, number>(file && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Array<[string, number]>) : []);
  let sweeping: Promise<number> | undefined;

  const fingerprint = (pk: unknown, sk: unknown, expiresAt: unknown) => JSON.stringify([String(pk), String(sk), Number(expiresAt)]);

  async function save(): Promise<void> {
    const cutoff = wallClock() - REMEMBER_MS;
    for (const [key, at] of deleted) if (at < cutoff) deleted.delete(key);
    if (!file) return;
    await mkdir(options.dataDir!, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify([...deleted]));
    await rename(temp, file);
  }

  async function sweepOnce(now: number): Promise<number> {
    const nowSeconds = Math.floor(now / 1000);
    const names = { "#pk": partitionKey, "#sk": sortKey, "#ttl": attribute };
    const values: Record<string, AttributeValue> = {
      ":now": { N: String(nowSeconds) },
      ":oldest": { N: String(nowSeconds - IGNORED_AFTER_SECONDS) },
    };
    const expired = "#ttl < :now AND #ttl >= :oldest";
    let count = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          ProjectionExpression: "#pk, #sk, #ttl",
          FilterExpression: expired,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      startKey = page.LastEvaluatedKey;
      const items = page.Items ?? [];
      if (items.length === 0) continue;
      // Remembered before the deletes: their stream records may be read at once.
      const prints = items.map((item) => fingerprint(item[partitionKey]?.S, item[sortKey]?.S, item[attribute]?.N));
      for (const print of prints) deleted.set(print, wallClock());
      await save();
      for (const [i, item] of items.entries()) {
        try {
          await client.send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: { [partitionKey]: item[partitionKey]!, [sortKey]: item[sortKey]! },
              ConditionExpression: expired,
              ExpressionAttributeNames: { "#ttl": attribute },
              ExpressionAttributeValues: values,
            }),
          );
          count++;
        } catch (error) {
          if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
          deleted.delete(prints[i]!); // changed or deleted meanwhile: not this stand-in's deletion
        }
      }
      await save();
    } while (startKey);
    return count;
  }

  return {
    sweep(now = Date.now()) {
      // One sweep at a time (the timer and a request may overlap).
      const run = (sweeping ?? Promise.resolve(0)).catch(() => 0).then(() => sweepOnce(now));
      sweeping = run;
      return run.finally(() => {
        if (sweeping === run) sweeping = undefined;
      });
    },
    lambdaRecord(record) {
      const name: string = record.eventName;
      if (DYNAMODB_LOCAL_EXPIRY.has(name) && record.oldImage && !record.newImage) {
        return { ...record.lambda, eventName: "REMOVE", userIdentity: { ...TTL_USER_IDENTITY } };
      }
      if (name !== "REMOVE" || !record.oldImage || record.lambda.userIdentity) return record.lambda;
      const print = fingerprint(record.keys[partitionKey], record.keys[sortKey], record.oldImage[attribute]);
      return deleted.has(print) ? { ...record.lambda, userIdentity: { ...TTL_USER_IDENTITY } } : record.lambda;
    },
  };
}

/** The stand-in's HTTP side, for createApiServer's extraRoutes. */
export function ttlRoutes(ttl: LocalTtl) {
  return {
    /** `POST /local/ttl/sweep`: deletes what has expired now, as the TTL service would (tests). */
    "POST /local/ttl/sweep": async (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const deleted = await ttl.sweep();
      const text = JSON.stringify({ deleted });
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
      res.end(text);
    },
  };
}
