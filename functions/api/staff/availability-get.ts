import { availabilityView, doctorForAvailability } from "@carebook/core/staff/availability";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** A doctor's weekly template, date overrides and approved leave. */
export const handler = httpHandler("GET /api/staff/availability", async ({ query, caller }) => {
  const { doctorId, clinicIds } = caller.access.doctorTarget(query.doctorId);
  return json(200, availabilityView(await doctorForAvailability(dynamo().db, doctorId, clinicIds)));
});
