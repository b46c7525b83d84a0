/**
 * The publisher: a stream-triggered Lambda (see `streamConsumers.publisher`) whose filter lets
 * through only inserted outbox items (`domainEvent`). Each becomes one bus entry, in stream
 * order, 10 per PutEvents (EventBridge's limit).
 *
 * Failure handling (ReportBatchItemFailures): the first record whose entry EventBridge did not
 * take is reported, and Lambda retries from it — the records before it are done, the ones
 * after it are published again, which consumers absorb (they are idempotent by `eventId`).
 * So nothing committed is lost, and nothing is ever published that did not commit.
 */
import { PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { domainEventSchema, type DomainEvent } from "@carebook/core/entities/index";
import { toBusEntry } from "@carebook/core/events/bus";
import { eventBridge, eventBusName } from "../lib/bus";
import { logger } from "../lib/logger";

const fields = Object.keys(domainEventSchema.attributes) as Array<keyof DomainEvent>;
const PUT_EVENTS_MAX = 10;

/** The outbox item of an inserted `domainEvent` record (ElectroDB's key attributes dropped). */
export function outboxItem(record: DynamoDBRecord): DomainEvent | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== "INSERT" || !image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (item.__edb_e__ !== domainEventSchema.model.entity) return undefined;
  return Object.fromEntries(fields.filter((f) => f in item).map((f) => [f, item[f]])) as DomainEvent;
}

export const handler = middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const bus = eventBusName();
  const pending: Array<{ record: DynamoDBRecord; entry: PutEventsRequestEntry }> = [];
  for (const record of event.Records) {
    const item = outboxItem(record);
    if (item) pending.push({ record, entry: toBusEntry(item, bus) });
  }
  for (let at = 0; at < pending.length; at += PUT_EVENTS_MAX) {
    const chunk = pending.slice(at, at + PUT_EVENTS_MAX);
    let failedAt: number;
    try {
      const out = await eventBridge().send(new PutEventsCommand({ Entries: chunk.map((c) => c.entry) }));
      failedAt = (out.Entries ?? []).findIndex((e) => e.ErrorCode);
      if (failedAt === -1 && (out.FailedEntryCount ?? 0) > 0) failedAt = 0;
      if (failedAt !== -1) {
        const failed = out.Entries?.[failedAt];
        logger.warn("bus refused an entry; retrying from it", { errorCode: failed?.ErrorCode, errorMessage: failed?.ErrorMessage });
      }
    } catch (error) {
      logger.warn("PutEvents failed; retrying from this chunk", error as Error);
      failedAt = 0;
    }
    if (failedAt !== -1) {
      return { batchItemFailures: [{ itemIdentifier: chunk[failedAt]!.record.dynamodb!.SequenceNumber! }] };
    }
  }
  if (pending.length) logger.debug("published", { count: pending.length });
  return { batchItemFailures: [] };
}).use(injectLambdaContext(logger));
