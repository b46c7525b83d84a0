import { decideLeave, leaveView } from "@carebook/core/staff/leave";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Approve or reject a leave request of one's clinics' staff. Approving a doctor's leave moves
 * the appointments in it to other doctors (or asks the patients to pick another time); the
 * answer lists what happened. Approving again finishes moves a crash cut short. */
export const handler = httpHandler(
  "POST /api/admin/leave/{leaveId}/decision",
  async ({ path, body, caller, now }) => {
    const leave = await decideLeave(dynamo().db, {
      leaveId: path.leaveId,
      ...body,
      clinicIds: caller.access.clinics(),
      actor: caller.actor,
      now,
    });
    return json(200, leaveView(leave));
  },
  { idempotent: true },
);
