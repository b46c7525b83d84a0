import { listStaff, putStaff, staffView } from "@carebook/core/admin/staff";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { catalogWrite, regionId } from "./manage-common";

export const list = httpHandler("GET /api/admin/staff", async ({ caller }) =>
  json(200, { staff: await listStaff(dynamo().db, regionId(), caller.access) }),
);

/** Creates or replaces a staff member's record (roles, clinics, doctor record); audited. */
export const put = httpHandler(
  "PUT /api/admin/staff/{sub}",
  async (request) => {
    const { member, created } = await putStaff(dynamo().db, {
      ...catalogWrite(request),
      sub: request.path.sub,
      record: request.body,
      access: request.caller.access,
    });
    return json(200, { staff: staffView(member), created });
  },
  { idempotent: true },
);
