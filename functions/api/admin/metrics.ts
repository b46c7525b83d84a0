import { queryMetrics } from "@carebook/core/metrics/query";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Served from the per-clinic, per-day aggregates the metrics consumer keeps: no scans. Without
 * a clinic, the totals are over the caller's clinics. */
export const handler = httpHandler("GET /api/admin/appointments/metrics", async ({ query, caller }) => {
  if (query.clinicId) caller.access.clinic(query.clinicId);
  return json(200, await queryMetrics(dynamo().db, { regionId: env("CAREBOOK_REGION_ID"), ...query, withinClinics: caller.access.clinics() }));
});
