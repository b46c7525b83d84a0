import { appointmentView } from "@carebook/core/api";
import { rescheduleAppointment } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { logger } from "../../lib/logger";
import { startReminders } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/appointments/{id}/reschedule",
  async ({ path, body, caller, now }) => {
    const appointment = await rescheduleAppointment(dynamo().db, {
      patientId: caller.sub,
      actor: { id: caller.sub, role: caller.role },
      appointmentId: path.id,
      start: Date.parse(body.start),
      now,
    });
    // A fresh run for the new version; the old run finds the version moved and sends nothing.
    try {
      await startReminders(appointment.appointmentId, appointment.version);
    } catch (error) {
      logger.error("could not start reminders", { appointmentId: appointment.appointmentId, error });
    }
    return json(200, appointmentView(appointment));
  },
  { idempotent: true },
);
