import { listLeave } from "@carebook/core/staff/leave";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** The caller's own leave (doctors, nurses), or their clinics' staff's (admins), a page at a time. */
export const handler = httpHandler("GET /api/staff/leave", async ({ query, caller, now }) => {
  const staffSub = caller.access.ownSub();
  const page = await listLeave(dynamo().db, {
    regionId: env("CAREBOOK_REGION_ID"),
    staffSub,
    clinicIds: staffSub ? undefined : caller.access.clinics(),
    ...query,
    now,
  });
  return json(200, page);
});
