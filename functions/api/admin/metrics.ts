import { queryMetrics } from "@carebook/core/metrics/query";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Served from the per-clinic, per-day aggregates the metrics consumer keeps: no scans. */
export const handler = httpHandler("GET /api/admin/appointments/metrics", async ({ query }) =>
  json(200, await queryMetrics(dynamo().db, { regionId: env("CAREBOOK_REGION_ID"), ...query })),
);
