import { appointmentView } from "@carebook/core/api";
import { getOwnAppointment } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/appointments/{id}", async ({ path, caller }) =>
  json(200, appointmentView(await getOwnAppointment(dynamo().db, caller.sub, path.id))),
);
