import { listStaffAppointments } from "@carebook/core/staff/appointments";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** A doctor's own appointments, or a nurse's or admin's clinics' — on local dates, by status. */
export const handler = httpHandler("GET /api/staff/appointments", async ({ query, caller }) => {
  const scope = caller.access.listScope();
  if (query.clinicId) caller.access.clinic(query.clinicId);
  return json(200, await listStaffAppointments(dynamo().db, { regionId: env("CAREBOOK_REGION_ID"), scope, ...query }));
});
