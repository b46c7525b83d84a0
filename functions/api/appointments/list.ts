import { appointmentView } from "@carebook/core/api";
import { listOwnAppointments } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/appointments", async ({ query, caller }) => {
  const page = await listOwnAppointments(dynamo().db, { patientId: caller.sub, ...query });
  return json(200, { appointments: page.data.map(appointmentView), nextCursor: page.cursor ?? null });
});
