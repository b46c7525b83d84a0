import { inviteStaff, listStaff, staffView, updateStaff } from "@carebook/core/admin/staff";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { staffAccounts } from "../../lib/staff-accounts";
import { catalogWrite, regionId } from "./manage-common";

export const list = httpHandler("GET /api/admin/staff", async ({ caller }) =>
  json(200, { staff: await listStaff(dynamo().db, regionId(), caller.access) }),
);

/**
 * Invites a staff member: a staff pool account (Cognito e-mails the invitation), its groups, its
 * record; audited. A retry after a failure part-way converges (packages/core/src/admin/staff.ts).
 */
export const invite = httpHandler(
  "POST /api/admin/staff",
  async (request) => {
    const { member, invited } = await inviteStaff(dynamo().db, staffAccounts(), {
      ...catalogWrite(request),
      record: request.body,
      access: request.caller.access,
    });
    return json(201, { staff: staffView(member), invited });
  },
  { idempotent: true },
);

/** Creates or replaces a staff member's record (roles, clinics, doctor record); audited. The
 * account's groups and enabled state follow it. */
export const put = httpHandler(
  "PUT /api/admin/staff/{sub}",
  async (request) => {
    const { member, created, account } = await updateStaff(dynamo().db, staffAccounts(), {
      ...catalogWrite(request),
      sub: request.path.sub,
      record: request.body,
      access: request.caller.access,
    });
    return json(200, { staff: staffView(member), created, account });
  },
  { idempotent: true },
);
