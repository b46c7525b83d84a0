import { appointmentView } from "@carebook/core/api";
import { loadAppointment } from "@carebook/core/appointment/booking";
import { auditAppointmentRead } from "@carebook/core/audit/reads";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** The patient's own appointment; support may read any patient's, and each such read is audited
 * before the data is returned. */
export const handler = httpHandler("GET /api/appointments/{id}", async ({ path, caller, now }) => {
  const { db } = dynamo();
  const appointment = await loadAppointment(db, path.id, caller.access.guard);
  // Someone else's appointment (the route's `any` scope: support) is an audited read.
  if (caller.scope !== "own") await auditAppointmentRead(db, { appointment, actor: caller.actor, now });
  return json(200, appointmentView(appointment));
});
