import { profileView, updateProfile } from "@carebook/core/patient";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("PUT /api/me", async ({ caller, body, now }) =>
  json(200, { kind: "patient", ...profileView(await updateProfile(dynamo().db, caller.sub, body, now)) }),
);
