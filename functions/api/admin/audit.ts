import { isRegionScope, queryAudit } from "@carebook/core/audit/query";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** The audit trail of appointments (by appointment, actor or clinic; newest first), each entry
 * with its place in the clinic-day's hash chain once chained — of the caller's clinics, and the
 * region-wide catalog changes (`clinicId=region`) every admin may see — with its actors' names. */
export const handler = httpHandler("GET /api/admin/appointments/audit", async ({ query, caller }) => {
  // "region" is no clinic of anyone's: what of it an admin sees, queryAudit's filter decides.
  if (query.clinicId && !isRegionScope(query.clinicId)) caller.access.clinic(query.clinicId);
  const page = await queryAudit(dynamo().db, { ...query, withinClinics: caller.access.clinics() });
  return json(200, page);
});
