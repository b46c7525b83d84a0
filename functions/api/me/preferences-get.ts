import { getPreferences } from "@carebook/core/notifications/messages";
import { dynamo, env } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

export const handler = httpHandler("GET /api/me/notification-preferences", async ({ caller }) =>
  json(200, await getPreferences(dynamo().db, caller.sub, env("CAREBOOK_REGION_ID"))),
);
