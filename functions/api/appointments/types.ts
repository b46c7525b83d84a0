import { appointmentTypeView } from "@carebook/core/api";
import { listAppointmentTypes } from "@carebook/core/catalog";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/appointments/types", async () => {
  const types = await listAppointmentTypes(dynamo().db, env("CAREBOOK_REGION_ID"));
  return json(200, { types: types.map(appointmentTypeView) });
});
