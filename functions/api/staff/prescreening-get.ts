import { staffPrescreeningView } from "@carebook/core/api";
import { getPrescreeningForStaff } from "@carebook/core/appointment/hold";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/staff/prescreening/{appointmentId}", async ({ path, caller, now }) => {
  const { appointment, state, questionnaire } = await getPrescreeningForStaff(dynamo().db, {
    appointmentId: path.appointmentId,
    actor: caller.actor,
    guard: caller.access.guard,
    now,
  });
  return json(200, staffPrescreeningView(appointment, state, questionnaire, now));
});
