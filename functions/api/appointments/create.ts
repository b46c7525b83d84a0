import { appointmentView } from "@carebook/core/api";
import { bookAppointment } from "@carebook/core/appointment/booking";
import { releaseHold } from "@carebook/core/appointment/hold";
import { UnavailableError } from "@carebook/core/errors";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";
import { logger } from "../../lib/logger";
import { startPrescreening } from "../../lib/workflows";

export const handler = httpHandler(
  "POST /api/appointments",
  async ({ body, caller, now }) => {
    const { db } = dynamo();
    const actor = caller.actor;
    const appointment = await bookAppointment(db, {
      regionId: env("CAREBOOK_REGION_ID"),
      patientId: caller.sub,
      actor,
      typeId: body.typeId,
      clinicId: body.clinicId,
      start: Date.parse(body.start),
      reason: body.reason,
      now,
    });
    if (appointment.status === "pending") {
      // A hold without its workflow would wait for answers no one can give. Undo it now if
      // the start fails; if this process dies before that, the hold lapses within minutes
      // (INITIAL_HOLD_MS) and the sweeper releases it.
      try {
        await startPrescreening(appointment.appointmentId);
      } catch (error) {
        logger.error("could not start pre-screening; releasing the hold", error as Error);
        await releaseHold(db, { appointmentId: appointment.appointmentId, reason: "workflow-unavailable", actor, now: Date.now() });
        throw new UnavailableError("WORKFLOW_UNAVAILABLE", "Booking is briefly unavailable for this visit type; nothing was booked, try again");
      }
    }
    // Reminders start from the AppointmentBooked event (functions/events/start-reminders.ts).
    return json(201, appointmentView(appointment), { location: `/api/appointments/${appointment.appointmentId}` });
  },
  { idempotent: true },
);
