import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { MiddyfiedHandler } from "@middy/core";
import type { ApplyResult } from "@carebook/core/metrics/aggregates";

/**
 * The one Powertools Metrics instance: operational figures as CloudWatch EMF lines in the
 * function's log. Quiet outside Lambda: the local runtime sets POWERTOOLS_DEV (which turns EMF
 * output off), tests set POWERTOOLS_METRICS_DISABLED — Powertools reads both when this module
 * is first imported; POWERTOOLS_METRICS_DISABLED wins over POWERTOOLS_DEV.
 */
export const metrics = new Metrics({ namespace: "Carebook", serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "carebook" });

/** Flushes the metrics after every invocation (also when it throws), with a ColdStart metric. */
export function withMetrics<H extends MiddyfiedHandler>(handler: H): H {
  return handler.use(logMetrics(metrics, { captureColdStartMetric: true })) as H;
}

/** What an event consumer did with one event, as counts per consumer. */
export function countConsumed(consumer: string, result: ApplyResult) {
  metrics.addDimension("consumer", consumer);
  const name = { applied: "EventsApplied", duplicate: "DuplicateEventsSkipped", ignored: "EventsIgnored" }[result.outcome];
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (result.attempts > 1) metrics.addMetric("TransactionConflictRetries", MetricUnit.Count, result.attempts - 1);
}
