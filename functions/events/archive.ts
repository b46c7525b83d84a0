/**
 * The archiver: a stream-triggered Lambda whose filter lets through appointments removed by
 * DynamoDB's TTL (REMOVE records whose `userIdentity` is the DynamoDB service; see
 * `streamConsumers.archiver`). Each becomes one line of a JSON Lines object in the archive,
 * `<region>/<clinic>/<yyyy>/<mm>/<first sequence number>.jsonl`, and a pointer item in the table
 * (core archive/archive.ts). Appointments removed any other way are not archived.
 *
 * Failure handling (ReportBatchItemFailures): the first record whose object or pointer could
 * not be written is reported; Lambda retries from it. Records after it that were archived
 * have their pointer and are skipped on the retry.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { archiveAppointments, type ArchiveCandidate, type ArchiveStore } from "@carebook/core/archive/archive";
import { appointmentSchema, type Db } from "@carebook/core/entities/index";
import { archiveStore } from "../lib/archive-store";
import { dynamo } from "../lib/env";
import { logger } from "../lib/logger";

const APPOINTMENT_ENTITY = appointmentSchema.model.entity;

/** How AWS marks a TTL deletion in the stream. */
export function isTtlDeletion(record: DynamoDBRecord): boolean {
  return (
    record.eventName === "REMOVE" &&
    record.userIdentity?.type === "Service" &&
    record.userIdentity?.principalId === "dynamodb.amazonaws.com"
  );
}

/** The appointment item a TTL REMOVE record took out of the table (as stored), else undefined. */
export function expiredAppointment(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const image = record.dynamodb?.OldImage;
  if (!isTtlDeletion(record) || !image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  return item.__edb_e__ === APPOINTMENT_ENTITY ? item : undefined;
}

/** Archives the expired appointments among `records`; the batch response Lambda expects. */
export async function archiveRecords(db: Db, store: ArchiveStore, records: DynamoDBRecord[], now = Date.now()): Promise<DynamoDBBatchResponse> {
  const candidates: ArchiveCandidate[] = [];
  for (const record of records) {
    const item = expiredAppointment(record);
    if (item) candidates.push({ sequenceNumber: record.dynamodb!.SequenceNumber!, item });
  }
  if (candidates.length === 0) return { batchItemFailures: [] };

  const result = await archiveAppointments(db, store, candidates, now);
  logger.debug("archived", { archived: result.archived, alreadyArchived: result.alreadyArchived, failed: result.failed.length });
  if (result.failed.length === 0) return { batchItemFailures: [] };
  const first = result.failed[0]!;
  logger.warn("appointments not archived; retrying from the first", { count: result.failed.length, appointmentId: first.appointmentId, error: first.error.message });
  return { batchItemFailures: [{ itemIdentifier: first.sequenceNumber }] };
}

export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  archiveRecords(dynamo().db, archiveStore(), event.Records),
).use(injectLambdaContext(logger));
