import { patientMeView, updateProfile } from "@carebook/core/patient";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("PUT /api/me", async ({ caller, body, now }) =>
  json(200, patientMeView(await updateProfile(dynamo().db, caller.sub, body, now))),
);
