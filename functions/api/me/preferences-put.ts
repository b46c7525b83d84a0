import { setPreferences } from "@carebook/core/notifications/messages";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("PUT /api/me/notification-preferences", async ({ caller, body }) =>
  json(200, await setPreferences(dynamo().db, caller.sub, body)),
);
