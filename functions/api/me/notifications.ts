import { messagesOf } from "@carebook/core/notifications/messages";
import { dynamo } from "../../lib/env";
import { httpHandler, json } from "../../lib/http";

/** The caller's messages with their delivery log, newest first. */
export const handler = httpHandler("GET /api/me/notifications", async ({ caller }) => {
  const messages = await messagesOf(dynamo().db, caller.sub);
  return json(200, {
    items: messages.map((m) => ({
      messageId: m.messageId,
      kind: m.kind,
      appointmentId: m.appointmentId,
      status: m.status,
      channel: m.channel ?? m.channels[m.channelIndex],
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      log: m.log,
    })),
  });
});
