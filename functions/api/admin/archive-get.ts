import { getArchivedAppointmentForStaff } from "@carebook/core/archive/archive";
import { archiveStore } from "../../lib/archive-store";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** An archived appointment by id, as it was stored when it left the table (404 if not archived);
 * the read is audited. */
export const handler = httpHandler("GET /api/admin/appointments/archive/{appointmentId}", async ({ path, caller, now }) => {
  const found = await getArchivedAppointmentForStaff(dynamo().db, archiveStore(), {
    appointmentId: path.appointmentId,
    actor: caller.actor,
    guard: caller.access.guard,
    now,
  });
  return json(200, found);
});
