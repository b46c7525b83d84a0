import { staffAppointmentView } from "@carebook/core/staff/appointments";
import { recordVisit, type VisitAction } from "@carebook/core/staff/visits";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

type VisitRoute =
  | "POST /api/staff/appointments/{appointmentId}/check-in"
  | "POST /api/staff/appointments/{appointmentId}/complete"
  | "POST /api/staff/appointments/{appointmentId}/no-show";

/** One handler per visit action: the appointment's status moves on its version, audited, with its event. */
const visitHandler = (routeKey: VisitRoute, action: VisitAction) =>
  httpHandler(
    routeKey,
    async ({ path, body, caller, now }) => {
      const { db } = dynamo();
      const appointment = await recordVisit(db, {
        ...body,
        appointmentId: path.appointmentId,
        action,
        guard: caller.access.guard,
        actor: caller.actor,
        now,
      });
      const { data: patient } = await db.patient.get({ patientId: appointment.patientId }).go({ attributes: ["name"] });
      return json(200, staffAppointmentView(appointment, patient?.name));
    },
    { idempotent: true },
  );

export const checkIn = visitHandler("POST /api/staff/appointments/{appointmentId}/check-in", "check-in");
export const complete = visitHandler("POST /api/staff/appointments/{appointmentId}/complete", "complete");
export const noShow = visitHandler("POST /api/staff/appointments/{appointmentId}/no-show", "no-show");
