import { slotSearchView } from "@carebook/core/api";
import { searchSlots } from "@carebook/core/appointment/booking";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/appointments/available-slots", async ({ query, now }) => {
  const result = await searchSlots(dynamo().db, {
    regionId: env("CAREBOOK_REGION_ID"),
    typeId: query.typeId,
    clinicId: query.clinicId,
    fromDate: query.from,
    toDate: query.to,
    now,
  });
  return json(200, slotSearchView(result));
});
