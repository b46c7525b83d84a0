import { prescreeningView } from "@carebook/core/api";
import { getPrescreening } from "@carebook/core/appointment/hold";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/appointments/{id}/prescreening", async ({ path, caller }) => {
  const { appointment, state, questionnaire } = await getPrescreening(dynamo().db, { patientId: caller.sub, appointmentId: path.id });
  return json(200, prescreeningView(appointment, state, questionnaire));
});
