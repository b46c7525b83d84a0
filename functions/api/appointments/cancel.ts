import { appointmentView } from "@carebook/core/api";
import { cancelAppointment } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler(
  "POST /api/appointments/{id}/cancel",
  async ({ path, body, caller, now }) => {
    const appointment = await cancelAppointment(dynamo().db, {
      patientId: caller.sub,
      actor: { id: caller.sub, role: caller.role },
      appointmentId: path.id,
      reason: body.reason,
      now,
    });
    return json(200, appointmentView(appointment));
  },
  { idempotent: true },
);
