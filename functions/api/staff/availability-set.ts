import { doctorInScope } from "@carebook/core/staff/appointments";
import { changeAvailability } from "@carebook/core/staff/availability";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Replace a doctor's template and/or overrides; 409 listing the appointments the change would
 * strand, unless `reassign: true` moves them to other doctors. */
export const handler = httpHandler(
  "POST /api/staff/availability",
  async ({ body, caller, now }) => {
    const { db } = dynamo();
    const { doctorId, clinicIds } = caller.access.doctorTarget(body.doctorId);
    const doctor = await doctorInScope(db, doctorId, clinicIds);
    return json(200, await changeAvailability(db, { doctor, change: body, actor: caller.actor, now }));
  },
  { idempotent: true },
);
