/**
 * The audit chainer: a stream-triggered Lambda whose filter lets through inserted audit
 * entries (`auditEntry`); each is appended to its clinic-day's hash chain
 * (core audit/chain.ts). Entries are chained once however often they come (the chain's mark
 * per auditId), so re-delivery is harmless.
 *
 * Failure handling (ReportBatchItemFailures): the first record whose entry could not be
 * chained is reported; Lambda retries from it. Records after it that did get chained are
 * found chained on the retry and skipped.
 *
 * An audit entry changed or removed in place (MODIFY / REMOVE, when the filter lets them
 * through) is never legitimate: it is logged as an error, for alarms; the verifier reports it.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { appendToChain } from "@carebook/core/audit/chain";
import { auditEntrySchema, type Db } from "@carebook/core/entities/index";
import { dynamo } from "../lib/env";
import { logger } from "../lib/logger";

const AUDIT_ENTITY = auditEntrySchema.model.entity;

type Image = Record<string, AttributeValue>;

/** The audit entry an INSERT record carries (as stored, storage keys included), else undefined. */
export function insertedAuditEntry(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== "INSERT" || !image) return undefined;
  const item = unmarshall(image as Image);
  return item.__edb_e__ === AUDIT_ENTITY ? item : undefined;
}

function tamperedAuditEntry(record: DynamoDBRecord): Record<string, unknown> | undefined {
  if (record.eventName === "INSERT") return undefined;
  const image = record.dynamodb?.OldImage;
  const item = image ? unmarshall(image as Image) : undefined;
  return item?.__edb_e__ === AUDIT_ENTITY ? item : undefined;
}

/** Chains the audit entries among `records`; the batch response Lambda expects. */
export async function chainRecords(db: Db, records: DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
  const entries: Array<{ record: DynamoDBRecord; entry: Record<string, unknown> }> = [];
  for (const record of records) {
    const entry = insertedAuditEntry(record);
    if (entry) entries.push({ record, entry });
    const tampered = tamperedAuditEntry(record);
    if (tampered) logger.error("audit entry changed in place", { eventName: record.eventName, auditId: tampered.auditId, clinicId: tampered.clinicId });
  }
  if (entries.length === 0) return { batchItemFailures: [] };

  const result = await appendToChain(db, entries.map((e) => e.entry));
  if (result.chained + result.alreadyChained > 0) logger.debug("chained", { chained: result.chained, alreadyChained: result.alreadyChained });
  if (result.failed.length === 0) return { batchItemFailures: [] };

  const failed = new Set(result.failed.map((f) => f.auditId));
  logger.warn("audit entries not chained; retrying from the first", {
    count: failed.size,
    error: result.failed[0]!.error.message,
  });
  const first = entries.find((e) => failed.has(String(e.entry.auditId)))!;
  return { batchItemFailures: [{ itemIdentifier: first.record.dynamodb!.SequenceNumber! }] };
}

export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  chainRecords(dynamo().db, event.Records),
).use(injectLambdaContext(logger));
