/** `$disconnect` (API Gateway delivers it best-effort): removes the connection and its topics. */
import { removeConnection } from "@carebook/core/realtime/connections";
import { dynamo } from "../lib/env";
import { reply, websocketHandler } from "../lib/websocket";

export const handler = websocketHandler(async (event) => {
  await removeConnection(dynamo().db, event.requestContext.connectionId);
  return reply();
});
