import { appointmentView } from "@carebook/core/api";
import { bookAppointment } from "@carebook/core/appointment/booking";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler(
  "POST /api/appointments",
  async ({ body, caller, now }) => {
    const appointment = await bookAppointment(dynamo().db, {
      regionId: env("CAREBOOK_REGION_ID"),
      patientId: caller.sub,
      actor: { id: caller.sub, role: caller.role },
      typeId: body.typeId,
      clinicId: body.clinicId,
      start: Date.parse(body.start),
      reason: body.reason,
      now,
    });
    return json(201, appointmentView(appointment), { location: `/api/appointments/${appointment.appointmentId}` });
  },
  { idempotent: true },
);
