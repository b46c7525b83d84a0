import { sendEmergencyNotice } from "@carebook/core/notifications/emergency";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Accepted: each affected patient is told through the events pipeline, on every channel. */
export const handler = httpHandler(
  "POST /api/admin/notifications/emergency",
  async ({ body, caller, now }) => {
    caller.access.clinic(body.clinicId);
    return json(
      202,
      await sendEmergencyNotice(dynamo().db, {
        regionId: env("CAREBOOK_REGION_ID"),
        clinicId: body.clinicId,
        date: body.date,
        message: body.message,
        actor: caller.actor,
        now,
      }),
    );
  },
  { idempotent: true },
);
