import { screeningView } from "@carebook/core/api";
import { prescreeningQueue } from "@carebook/core/appointment/hold";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/staff/prescreening", async ({ query, now }) => {
  const page = await prescreeningQueue(dynamo().db, { clinicId: query.clinicId, limit: query.limit, cursor: query.cursor });
  return json(200, { items: page.data.map((s) => screeningView(s, now)), cursor: page.cursor ?? undefined });
});
