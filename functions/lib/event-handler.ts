import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context } from "aws-lambda";
import { readBusEvent, type BusEvent, type ReceivedEvent } from "@carebook/core/events/bus";
import { logger } from "./logger";

/**
 * A Lambda target of a bus rule (functions/events/index.ts): the event is validated
 * (`readBusEvent`) before `fn` sees it, logs carry the event id. Whatever `fn` throws makes
 * EventBridge retry the event and finally park it in the consumer's dead-letter queue — so
 * `fn` must be idempotent by `event.eventId`.
 */
export function eventHandler(fn: (event: ReceivedEvent, context: Context) => Promise<void>) {
  return middy(async (raw: BusEvent, context: Context) => {
    const event = readBusEvent(raw);
    logger.appendKeys({ eventId: event.eventId, eventType: event.type, appointmentId: event.appointmentId });
    try {
      await fn(event, context);
    } catch (error) {
      logger.error("event consumer failed", error as Error);
      throw error;
    } finally {
      logger.removeKeys(["eventId", "eventType", "appointmentId"]);
    }
  }).use(injectLambdaContext(logger));
}
