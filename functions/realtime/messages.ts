/**
 * The client's messages — routes `subscribe` and `unsubscribe` (API Gateway selects them by the
 * message's `action`) and `$default` (anything else): validated, then one core call; the answer
 * (`subscribed`, `unsubscribed`, `pong`, or an `error`) goes back as the route's response.
 */
import { DomainError } from "@carebook/core/errors";
import { subscribeSlots, unsubscribeSlots } from "@carebook/core/realtime/connections";
import { errorMessage, parseClientMessage } from "@carebook/core/realtime/messages";
import { dynamo } from "../lib/env";
import { messageText, reply, websocketHandler } from "../lib/websocket";

export const handler = websocketHandler(async (event) => {
  const parsed = parseClientMessage(messageText(event));
  if (!parsed.ok) return reply(parsed.error);
  const message = parsed.message;
  if (message.action === "ping") return reply({ type: "pong" });
  const { connectionId } = event.requestContext;
  const { topic, clinicId, date } = message;
  try {
    if (message.action === "subscribe") await subscribeSlots(dynamo().db, { connectionId, clinicId, date });
    else await unsubscribeSlots(dynamo().db, { connectionId, clinicId, date });
  } catch (error) {
    if (error instanceof DomainError) return reply(errorMessage(error.code, error.message, error.details));
    throw error;
  }
  return reply({ type: message.action === "subscribe" ? "subscribed" : "unsubscribed", topic, clinicId, date });
});
