import { appointmentView } from "@carebook/core/api";
import { cancelAppointment } from "@carebook/core/appointment/booking";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { logger } from "../../lib/logger";
import { isTaskGone, sendTaskFailure } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/appointments/{id}/cancel",
  async ({ path, body, caller, now }) => {
    const { appointment, taskToken } = await cancelAppointment(dynamo().db, {
      guard: caller.access.guard,
      actor: caller.actor,
      appointmentId: path.id,
      reason: body.reason,
      now,
    });
    if (taskToken) {
      // A cancelled hold's workflow would otherwise wait out its timeout for nothing.
      try {
        await sendTaskFailure(taskToken, "Carebook.Cancelled", caller.role === "patient" ? "cancelled by the patient" : "cancelled by support for the patient");
      } catch (error) {
        if (!isTaskGone(error)) logger.warn("could not end the pre-screening workflow", { error });
      }
    }
    return json(200, appointmentView(appointment));
  },
  { idempotent: true },
);
