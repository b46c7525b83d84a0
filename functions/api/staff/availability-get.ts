import { doctorInScope } from "@carebook/core/staff/appointments";
import { availabilityView } from "@carebook/core/staff/availability";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** A doctor's weekly template, date overrides and approved leave. */
export const handler = httpHandler("GET /api/staff/availability", async ({ query, caller }) => {
  const { doctorId, clinicIds } = caller.access.doctorTarget(query.doctorId);
  return json(200, availabilityView(await doctorInScope(dynamo().db, doctorId, clinicIds)));
});
