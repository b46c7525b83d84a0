import { clinicView } from "@carebook/core/api";
import { listClinics } from "@carebook/core/catalog";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/clinics", async () => {
  const clinics = await listClinics(dynamo().db, env("CAREBOOK_REGION_ID"));
  return json(200, { clinics: clinics.map(clinicView) });
});
