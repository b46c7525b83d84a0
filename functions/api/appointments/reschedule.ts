import { appointmentView } from "@carebook/core/api";
import { rescheduleAppointment } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler(
  "POST /api/appointments/{id}/reschedule",
  async ({ path, body, caller, now }) => {
    const appointment = await rescheduleAppointment(dynamo().db, {
      guard: caller.access.guard,
      actor: caller.actor,
      appointmentId: path.id,
      start: Date.parse(body.start),
      now,
    });
    // The AppointmentRescheduled event starts a fresh reminders run for the new version; the
    // old run finds the version moved and sends nothing.
    return json(200, appointmentView(appointment));
  },
  { idempotent: true },
);
