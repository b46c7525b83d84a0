/**
 * Keeps the admin metrics' (clinic, day) aggregates from the appointment and pre-screening
 * events, each exactly once (packages/core/src/metrics/aggregates.ts).
 */
import { applyEvent, METRICS_CONSUMER } from "@carebook/core/metrics/aggregates";
import { dynamo } from "../lib/env";
import { eventHandler } from "../lib/event-handler";
import { countConsumed, withMetrics } from "../lib/metrics";

export const handler = withMetrics(
  eventHandler(async (event) => {
    countConsumed(METRICS_CONSUMER, await applyEvent(dynamo().db, event));
  }),
);
