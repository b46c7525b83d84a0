import { findPatients, patientAppointmentsForSupport } from "@carebook/core/support";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** Support finds the patient who calls by e-mail (audited). */
export const search = httpHandler("GET /api/support/patients", async ({ query, caller, now }) =>
  json(200, { patients: await findPatients(dynamo().db, { email: query.email, actor: caller.actor, now }) }),
);

/** A patient's appointments, as the patient sees them, without pre-screening (audited). */
export const appointments = httpHandler("GET /api/support/patients/{patientId}/appointments", async ({ path, query, caller, now }) =>
  json(
    200,
    await patientAppointmentsForSupport(dynamo().db, { patientId: path.patientId, ...query, actor: caller.actor, now }),
  ),
);
