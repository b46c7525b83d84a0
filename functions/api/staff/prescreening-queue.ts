import { screeningView } from "@carebook/core/api";
import { prescreeningQueue } from "@carebook/core/appointment/hold";
import { auditListRead } from "@carebook/core/audit/reads";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/staff/prescreening", async ({ query, caller, now }) => {
  const { db } = dynamo();
  caller.access.clinic(query.clinicId);
  const page = await prescreeningQueue(db, { clinicId: query.clinicId, limit: query.limit, cursor: query.cursor });
  // The queue names patients: who looked at which is audited before anything is returned.
  if (page.data.length > 0) {
    await auditListRead(db, {
      subjectType: "prescreening-queue",
      clinicId: query.clinicId,
      action: "prescreening.queue-viewed",
      actor: caller.actor,
      now,
      appointmentIds: page.data.map((s) => s.appointmentId),
    });
  }
  return json(200, { items: page.data.map((s) => screeningView(s, now)), cursor: page.cursor ?? undefined });
});
