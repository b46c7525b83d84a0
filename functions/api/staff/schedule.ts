import { doctorInScope, doctorSchedule } from "@carebook/core/staff/appointments";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** A doctor's day or week: working hours and the appointments in them. A doctor sees their own;
 * nurses and admins name a doctor of their clinics. */
export const handler = httpHandler("GET /api/staff/schedule", async ({ query, caller }) => {
  const { db } = dynamo();
  const { doctorId, clinicIds } = caller.access.doctorTarget(query.doctorId);
  const doctor = await doctorInScope(db, doctorId, clinicIds);
  return json(200, await doctorSchedule(db, { doctor, from: query.from, to: query.to }));
});
